package profile

// Readers returns every raw-format reader in detection order: Ingest gives a file to
// the first reader whose Detect claims it. The list is a plain literal, not an init()
// registry, so that what llmsim can read is visible in one place. Order matters only
// where two formats share columns: vidur_mlp (exactly Vidur's key columns) is tried
// before frontier_linear_op (the same columns plus more).
func Readers() []Reader {
	return []Reader{
		// Compute profiles (compute.go, timestats.go).
		{Name: "vidur_mlp", Detect: detectVidurMLP, Read: readVidurMLP},
		{Name: "frontier_linear_op", Detect: detectFrontierLinear, Read: readFrontierLinear},
		{Name: "vidur_attention", Detect: detectVidurAttention, Read: readVidurAttention},
		{Name: "frontier_moe", Detect: detectFrontierMoE, Read: readFrontierMoE},

		// Collectives, AICB/AIOB and SimAI (vidurnet.go, nccltests.go, aicb.go, aiob.go,
		// simai.go).
		VidurCollectiveReader,
		NCCLTestsReader,
		AICBCommLogReader,
		AIOBReader,
		AICBLayerTableReader,
		SimAIWorkloadReader,
		SimAIBusBWReader,
		SimAIRatioReader,
	}
}

// ReaderByName returns the reader called name from Readers.
func ReaderByName(name string) (Reader, bool) {
	for _, r := range Readers() {
		if r.Name == name {
			return r, true
		}
	}
	return Reader{}, false
}

// detectReader returns the first reader in rs that claims a file.
func detectReader(rs []Reader, base string, head []byte) (Reader, bool) {
	for _, r := range rs {
		if r.Detect(base, head) {
			return r, true
		}
	}
	return Reader{}, false
}
