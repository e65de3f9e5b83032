package forest

// The forest draws its randomness exactly as scikit-learn's RandomForestRegressor does
// with an integer random_state, so that a forest trained here with seed s holds the same
// trees as sklearn's with random_state=s. Three streams are involved:
//
//   - the forest's numpy.random.RandomState(s) gives tree i its seed, the i-th
//     randint(2**31 - 1) (sklearn's _set_random_states);
//   - a fresh RandomState(seed_i) draws tree i's bootstrap sample, randint(0, n, n)
//     (sklearn's _generate_sample_indices);
//   - another fresh RandomState(seed_i) draws the first value of the splitter's
//     xorshift state, randint(0, 2**31 - 1), from which the candidate features of every
//     node are drawn (sklearn's our_rand_r and rand_int).
//
// numpy's legacy RandomState is the Mersenne Twister MT19937 with the reference
// init_genrand seeding, and its randint draws 32-bit words masked to the smallest
// covering power of two, rejecting values above the range.

// randRMax is sklearn's RAND_R_MAX: the splitter's draws are taken modulo randRMax + 1.
const randRMax = 0x7FFFFFFF

// mt19937 is numpy's legacy RandomState bit generator.
type mt19937 struct {
	key [624]uint32
	pos int
}

// newRandomState is numpy.random.RandomState(seed).
func newRandomState(seed uint32) *mt19937 {
	r := &mt19937{pos: 624}
	s := seed
	for i := range r.key {
		r.key[i] = s
		s = seedStep(s, i)
	}
	return r
}

// seedStep is init_genrand's recurrence: key word i+1 from key word i.
func seedStep(s uint32, i int) uint32 {
	return 1812433253*(s^(s>>30)) + uint32(i) + 1
}

func (r *mt19937) uint32() uint32 {
	if r.pos == 624 {
		r.generate()
	}
	y := r.key[r.pos]
	r.pos++
	return temper(y)
}

// temper is MT19937's output tempering of a key word.
func temper(y uint32) uint32 {
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	return y ^ (y >> 18)
}

func (r *mt19937) generate() {
	k := &r.key
	for i := range 624 {
		k[i] = twist(k[i], k[(i+1)%624], k[(i+397)%624])
	}
	r.pos = 0
}

// twist is MT19937's new key word i from the old words i, i+1 and i+397.
func twist(ki, kNext, kFar uint32) uint32 {
	y := (ki & 0x80000000) | (kNext & 0x7fffffff)
	v := kFar ^ (y >> 1)
	if y&1 != 0 {
		v ^= 0x9908b0df
	}
	return v
}

// randInt is RandomState.randint(0, n) for 1 <= n <= 2**32: numpy's masked rejection
// sampling, which consumes no word at all when n == 1.
func (r *mt19937) randInt(n uint64) uint32 {
	rng := uint32(n - 1)
	if rng == 0 {
		return 0
	}
	mask := rng
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	for {
		if v := r.uint32() & mask; v <= rng {
			return v
		}
	}
}

// treeSeeds are the random_state values sklearn gives the first n trees of a forest
// with random_state=seed. Tree i's seed does not depend on how many trees follow it.
func treeSeeds(seed uint32, n int) []uint32 {
	r := newRandomState(seed)
	out := make([]uint32, n)
	for i := range out {
		out[i] = r.randInt(randRMax)
	}
	return out
}

// splitterState is the first xorshift state of the splitter of the tree seeded with
// seed: RandomState(seed).randint(0, RAND_R_MAX).
func splitterState(seed uint32) uint32 {
	// The first output of a fresh generator needs only key words 0, 1 and 397 of the
	// first twist; the draw is rejected (and the full generator needed) with
	// probability 2**-31.
	var k0, k1, k397 uint32
	s := seed
	for i := range 398 {
		switch i {
		case 0:
			k0 = s
		case 1:
			k1 = s
		case 397:
			k397 = s
		}
		s = seedStep(s, i)
	}
	if v := temper(twist(k0, k1, k397)) & randRMax; v <= randRMax-1 {
		return v
	}
	return newRandomState(seed).randInt(randRMax)
}

// randR is sklearn's our_rand_r: a 32-bit xorshift step, returned modulo 2**31.
func randR(state *uint32) uint32 {
	if *state == 0 {
		*state = 1
	}
	*state ^= *state << 13
	*state ^= *state >> 17
	*state ^= *state << 5
	return *state % (randRMax + 1)
}

// randIntRange is sklearn's rand_int: a draw in [low, high).
func randIntRange(low, high int, state *uint32) int {
	return low + int(randR(state)%uint32(high-low))
}
