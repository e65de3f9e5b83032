package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/llmsim/llmsim/internal/suggest"
)

//go:embed models.yaml gpus.yaml nodes.yaml
var builtin embed.FS

// Catalog is a set of models, GPUs and nodes with name and alias lookup. A Catalog returned by
// Default or Load belongs to its caller: modifying it, or the entries it hands out, affects no
// other Catalog.
type Catalog struct {
	models []*Model
	gpus   []*GPU
	nodes  []*Node
}

// file is the YAML schema shared by the built-in files and a user's catalog files: any of the
// three lists may be absent.
type file struct {
	Models []*Model `yaml:"models"`
	GPUs   []*GPU   `yaml:"gpus"`
	Nodes  []*Node  `yaml:"nodes"`
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// Default returns the built-in catalog, parsed from the embedded YAML on first use. Each call
// returns a fresh copy. The embedded data is checked by the package's tests, so a parse error
// here is a build defect and panics.
func Default() *Catalog {
	defaultOnce.Do(func() {
		c := &Catalog{}
		for _, name := range []string{"models.yaml", "gpus.yaml", "nodes.yaml"} {
			data, err := builtin.ReadFile(name)
			if err == nil {
				err = c.add(bytes.NewReader(data), "built-in "+name)
			}
			if err != nil {
				panic(fmt.Sprintf("catalog: the embedded catalog is broken (a build defect): %v", err))
			}
		}
		if err := c.check(); err != nil {
			panic(fmt.Sprintf("catalog: the embedded catalog is broken (a build defect): %v", err))
		}
		defaultCat = c
	})
	return defaultCat.clone()
}

// Load returns the built-in catalog extended with the user's YAML files, read in order. The
// files use the built-in schema (top-level lists models, gpus, nodes); an entry whose name
// matches an existing one, case-insensitively, replaces it. Unknown keys are errors.
func Load(paths ...string) (*Catalog, error) {
	c := Default()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		err = c.add(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// add decodes the YAML documents of r (named src in errors) and merges their entries.
func (c *Catalog) add(r io.Reader, src string) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	seen := map[string]bool{}
	for {
		var f file
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // end of the file's documents (or an empty file)
			}
			return fmt.Errorf("catalog: %s: %w", src, yamlError(err))
		}
		if err := c.merge(f, src, seen); err != nil {
			return err
		}
	}
}

// merge adds one YAML document's entries; seen holds the names already defined in the same file.
func (c *Catalog) merge(f file, src string, seen map[string]bool) error {
	unique := func(kind, name string) error {
		key := kind + "\x00" + strings.ToLower(name)
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("catalog: %s: a %s entry has no name", src, kind)
		}
		if seen[key] {
			return fmt.Errorf("catalog: %s: %s %q is defined twice", src, kind, name)
		}
		seen[key] = true
		return nil
	}
	for _, m := range f.Models {
		if m == nil {
			return fmt.Errorf("catalog: %s: empty model entry", src)
		}
		if err := unique("model", m.Name); err != nil {
			return err
		}
		m.normalize()
		if err := m.validate(); err != nil {
			return fmt.Errorf("catalog: %s: model %s: %w", src, m.Name, err)
		}
		c.models = replace(c.models, m, func(x *Model) string { return x.Name })
	}
	for _, g := range f.GPUs {
		if g == nil {
			return fmt.Errorf("catalog: %s: empty gpu entry", src)
		}
		if err := unique("gpu", g.Name); err != nil {
			return err
		}
		if err := g.validate(); err != nil {
			return fmt.Errorf("catalog: %s: gpu %s: %w", src, g.Name, err)
		}
		c.gpus = replace(c.gpus, g, func(x *GPU) string { return x.Name })
	}
	for _, n := range f.Nodes {
		if n == nil {
			return fmt.Errorf("catalog: %s: empty node entry", src)
		}
		if err := unique("node", n.Name); err != nil {
			return err
		}
		if err := n.validate(); err != nil {
			return fmt.Errorf("catalog: %s: node %s: %w", src, n.Name, err)
		}
		c.nodes = replace(c.nodes, n, func(x *Node) string { return x.Name })
	}
	return nil
}

// yamlError rewrites yaml.v3's "field x not found in type catalog.Model" into words a user of
// the YAML file understands.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		// "line 3: field nmae not found in type catalog.Model"
		if before, after, ok := strings.Cut(e, "field "); ok {
			if key, typ, ok := strings.Cut(after, " not found in type catalog."); ok {
				e = fmt.Sprintf("%sunknown key %q in %s", before, key, yamlPlace[typ])
			}
		}
		msgs[i] = e
	}
	return errors.New(strings.Join(msgs, "; "))
}

// yamlPlace names, in a YAML file's terms, where a Go type's keys live.
var yamlPlace = map[string]string{
	"file":         "the top level (want models, gpus, nodes)",
	"Model":        "a model entry",
	"MLAConfig":    "a model's mla section",
	"MoEConfig":    "a model's moe section",
	"HybridConfig": "a model's hybrid section",
	"GPU":          "a gpu entry",
	"Node":         "a node entry",
}

// replace puts e in list in place of the entry with the same name, or appends it.
func replace[T any](list []T, e T, name func(T) string) []T {
	for i, x := range list {
		if strings.EqualFold(name(x), name(e)) {
			list[i] = e
			return list
		}
	}
	return append(list, e)
}

// check verifies what spans entries: every name and alias resolves to one entry of its kind,
// and every node's GPU exists.
func (c *Catalog) check() error {
	var errs []error
	claim := func(kind string, owners map[string]string, owner string, names ...string) {
		for _, n := range names {
			k := strings.ToLower(n)
			if prev, ok := owners[k]; ok && prev != owner {
				errs = append(errs, fmt.Errorf("catalog: %s name %q is used by both %s and %s", kind, n, prev, owner))
				continue
			}
			owners[k] = owner
		}
	}
	owners := map[string]string{}
	for _, m := range c.models {
		claim("model", owners, m.Name, append([]string{m.Name}, m.Aliases...)...)
	}
	owners = map[string]string{}
	for _, g := range c.gpus {
		claim("gpu", owners, g.Name, append([]string{g.Name}, g.Aliases...)...)
	}
	for _, n := range c.nodes {
		if _, err := c.GPU(n.GPU); err != nil {
			errs = append(errs, fmt.Errorf("catalog: node %s: gpu %q is not in the catalog", n.Name, n.GPU))
		}
	}
	return joinErrors(errs)
}

// clone deep-copies c.
func (c *Catalog) clone() *Catalog {
	out := &Catalog{
		models: make([]*Model, len(c.models)),
		gpus:   make([]*GPU, len(c.gpus)),
		nodes:  make([]*Node, len(c.nodes)),
	}
	for i, m := range c.models {
		out.models[i] = m.Clone()
	}
	for i, g := range c.gpus {
		cp := *g
		cp.Aliases = slices.Clone(g.Aliases)
		out.gpus[i] = &cp
	}
	for i, n := range c.nodes {
		cp := *n
		out.nodes[i] = &cp
	}
	return out
}

// Models returns the catalog's models in catalog order (built-ins in file order, then user
// entries in the order they were added).
func (c *Catalog) Models() []*Model { return slices.Clone(c.models) }

// GPUs returns the catalog's GPUs in catalog order.
func (c *Catalog) GPUs() []*GPU { return slices.Clone(c.gpus) }

// Nodes returns the catalog's nodes in catalog order.
func (c *Catalog) Nodes() []*Node { return slices.Clone(c.nodes) }

// Model finds a model by Hugging Face id or alias, case-insensitively; a bare repository name
// (Llama-2-7b-hf) also matches when it is unambiguous.
func (c *Catalog) Model(name string) (*Model, error) {
	return lookup("model", c.models, name, func(m *Model) []string { return append([]string{m.Name}, m.Aliases...) })
}

// GPU finds a GPU by name or alias, case-insensitively.
func (c *Catalog) GPU(name string) (*GPU, error) {
	return lookup("gpu", c.gpus, name, func(g *GPU) []string { return append([]string{g.Name}, g.Aliases...) })
}

// Node finds a node by name, case-insensitively.
func (c *Catalog) Node(name string) (*Node, error) {
	return lookup("node", c.nodes, name, func(n *Node) []string { return []string{n.Name} })
}

// NodeForGPU returns the node to assume for a GPU when none is named: the GPU's DGX/HGX-style
// 8-GPU NVSwitch node when the catalog has one, else the first node holding that GPU.
func (c *Catalog) NodeForGPU(gpu string) (*Node, error) {
	g, err := c.GPU(gpu)
	if err != nil {
		return nil, err
	}
	var first *Node
	for _, n := range c.nodes {
		if !strings.EqualFold(n.GPU, g.Name) {
			continue
		}
		if n.PairGBps == 0 {
			return n, nil
		}
		if first == nil {
			first = n
		}
	}
	if first == nil {
		return nil, fmt.Errorf("catalog: no node holds gpu %s; add one under nodes: in a --catalog file (see docs/catalog.md)", g.Name)
	}
	return first, nil
}

// lookup resolves name among entries: exact name or alias first, then the part after the last
// "/" of a Hugging Face id when only one entry has it.
func lookup[T any](kind string, entries []T, name string, names func(T) []string) (T, error) {
	var zero T
	want := strings.ToLower(strings.TrimSpace(name))
	for _, e := range entries {
		for _, n := range names(e) {
			if strings.ToLower(n) == want {
				return e, nil
			}
		}
	}
	var hits []T
	for _, e := range entries {
		for _, n := range names(e) {
			if _, base, ok := strings.Cut(n, "/"); ok && strings.ToLower(base) == want {
				hits = append(hits, e)
				break
			}
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	var canonical []string
	var candidates [][]string
	for _, e := range entries {
		ns := names(e)
		canonical = append(canonical, ns[0])
		candidates = append(candidates, ns)
	}
	return zero, unknownError(kind, name, canonical, closeMatches(name, canonical, candidates, 5))
}

// unknownError names the closest known entries (or all of them when none is close) and says
// how to add one.
func unknownError(kind, name string, known, near []string) error {
	list := "known " + kind + "s: " + strings.Join(known, ", ")
	if len(near) > 0 {
		list = "did you mean " + strings.Join(near, ", ") + "?"
	}
	how := "to add one, list it under " + kind + "s: in a YAML file passed with --catalog (see docs/catalog.md)"
	if kind == "model" {
		how += ", or convert a Hugging Face config.json with `llmsim catalog import`"
	}
	return fmt.Errorf("catalog: unknown %s %q (%s); %s", kind, name, list, how)
}

// closeMatches returns up to limit entries (by canonical name) one of whose names contains
// name, is contained in it, or is within a third of its length in edit distance; nearest first.
func closeMatches(name string, canonical []string, candidates [][]string, limit int) []string {
	want := strings.ToLower(strings.TrimSpace(name))
	type scored struct {
		name string
		d    int
	}
	var hits []scored
	for i, names := range candidates {
		best := -1
		for _, n := range names {
			ln := strings.ToLower(n)
			d := suggest.Distance(want, ln)
			if _, base, ok := strings.Cut(ln, "/"); ok {
				d = min(d, suggest.Distance(want, base))
			}
			if want != "" && (strings.Contains(ln, want) || strings.Contains(want, ln)) {
				d = min(d, 1)
			}
			if best < 0 || d < best {
				best = d
			}
		}
		if best >= 0 && best <= max(2, len(want)/3) {
			hits = append(hits, scored{canonical[i], best})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, h := range hits {
		if len(out) == limit {
			break
		}
		out = append(out, h.name)
	}
	return out
}

// Validate checks that g has the figures the simulator divides by.
func (g *GPU) Validate() error {
	if err := g.validate(); err != nil {
		return fmt.Errorf("catalog: gpu %s: %w", g.Name, err)
	}
	return nil
}

func (g *GPU) validate() error {
	var errs []error
	if strings.TrimSpace(g.Name) == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if g.MemoryGB <= 0 {
		errs = append(errs, fmt.Errorf("memory_gb must be positive, got %g", g.MemoryGB))
	}
	if g.BF16TFLOPS <= 0 {
		errs = append(errs, fmt.Errorf("bf16_tflops must be positive, got %g", g.BF16TFLOPS))
	}
	if g.HBMGBps <= 0 {
		errs = append(errs, fmt.Errorf("hbm_gbps must be positive, got %g", g.HBMGBps))
	}
	if g.FP8TFLOPS < 0 || g.NVLinkGBps < 0 {
		errs = append(errs, errors.New("fp8_tflops and nvlink_gbps must not be negative"))
	}
	return joinErrors(errs)
}

// Validate checks n's own fields; that its GPU exists is checked by the catalog.
func (n *Node) Validate() error {
	if err := n.validate(); err != nil {
		return fmt.Errorf("catalog: node %s: %w", n.Name, err)
	}
	return nil
}

func (n *Node) validate() error {
	var errs []error
	if strings.TrimSpace(n.Name) == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if strings.TrimSpace(n.GPU) == "" {
		errs = append(errs, errors.New("gpu is empty"))
	}
	if n.GPUsPerNode <= 0 {
		errs = append(errs, fmt.Errorf("gpus_per_node must be positive, got %d", n.GPUsPerNode))
	}
	if n.IntraNodeGBps <= 0 {
		errs = append(errs, fmt.Errorf("intra_node_gbps must be positive, got %g", n.IntraNodeGBps))
	}
	if n.InterNodeGBps < 0 || n.PairGBps < 0 {
		errs = append(errs, errors.New("inter_node_gbps and pair_gbps must not be negative"))
	}
	return joinErrors(errs)
}
