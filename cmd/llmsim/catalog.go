package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/llmsim/llmsim/catalog"
)

// newCatalogCmd lists and explains the models, GPUs and nodes llmsim knows, and converts a
// Hugging Face config.json into a catalog entry.
func newCatalogCmd() *cobra.Command {
	var files []string
	load := func() (*catalog.Catalog, error) { return catalog.Load(files...) }
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "List the built-in models, GPUs and nodes, show one, or import a Hugging Face config",
		Long: `The catalog describes every model architecture, GPU and node llmsim can simulate.
Add your own with --catalog FILE (YAML, same schema as the built-ins; see docs/catalog.md).`,
	}
	cmd.PersistentFlags().StringArrayVar(&files, "catalog", nil,
		"extra catalog YAML file of models, GPUs and nodes, added to the built-in catalog (repeatable; see docs/catalog.md)")

	cmd.AddCommand(&cobra.Command{
		Use:   "models",
		Short: "List models: shape, parameters and KV-cache bytes per token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			return catalogPrintModels(cmd.OutOrStdout(), c.Models())
		},
	}, &cobra.Command{
		Use:   "gpus",
		Short: "List GPUs: memory, dense TFLOP/s, memory and NVLink bandwidth",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			return catalogPrintGPUs(cmd.OutOrStdout(), c.GPUs())
		},
	}, &cobra.Command{
		Use:   "nodes",
		Short: "List nodes: GPUs per node, intra- and inter-node bandwidth",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			return catalogPrintNodes(cmd.OutOrStdout(), c.Nodes())
		},
	}, &cobra.Command{
		Use:   "show NAME",
		Short: "Show one model, GPU or node with its derived quantities",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			return catalogShow(cmd.OutOrStdout(), c, args[0])
		},
	}, newCatalogImportCmd())
	return cmd
}

// newCatalogImportCmd prints a Hugging Face config.json as a catalog YAML entry.
func newCatalogImportCmd() *cobra.Command {
	var name string
	var aliases []string
	cmd := &cobra.Command{
		Use:   "import CONFIG.json",
		Short: "Convert a Hugging Face config.json into a catalog entry (YAML on stdout)",
		Long: `Reads a Hugging Face config.json and prints the model as a catalog YAML file, ready to
save and pass with --catalog. Supported model types: ` + strings.Join(catalog.SupportedHFModelTypes, ", ") + `.`,
		Example: "  llmsim catalog import config.json --name acme/My-Model --alias my-model > my-model.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := catalog.ImportHF(args[0])
			if err != nil {
				return err
			}
			if name != "" {
				m.Name = name
			}
			m.Aliases = append(m.Aliases, aliases...)
			var out bytes.Buffer
			fmt.Fprintf(&out, "# Imported by llmsim catalog import from %s\n", args[0])
			fmt.Fprintf(&out, "# %s total parameters, %s activated per token, %s KV-cache bytes per token (%s)\n",
				catalogCount(m.TotalParams()), catalogCount(m.ActivatedParams()), catalogCommas(catalogKVBytes(m)), m.KVDtype)
			enc := yaml.NewEncoder(&out)
			enc.SetIndent(2)
			err = enc.Encode(struct {
				Models []*catalog.Model `yaml:"models"`
			}{[]*catalog.Model{m}})
			if err == nil {
				err = enc.Close()
			}
			if err != nil {
				return fmt.Errorf("catalog import: %w", err)
			}
			_, err = cmd.OutOrStdout().Write(out.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the entry (default: the file's name, or _name_or_path for a config.json)")
	cmd.Flags().StringArrayVar(&aliases, "alias", nil, "alias of the entry (repeatable)")
	return cmd
}

// catalogShow prints the model, GPU or node called name, in that order of precedence.
func catalogShow(w io.Writer, c *catalog.Catalog, name string) error {
	m, merr := c.Model(name)
	if merr == nil {
		return catalogShowModel(w, m)
	}
	g, gerr := c.GPU(name)
	if gerr == nil {
		return catalogShowGPU(w, c, g)
	}
	n, nerr := c.Node(name)
	if nerr == nil {
		return catalogShowNode(w, c, n)
	}
	return fmt.Errorf("%q is not a model, GPU or node of the catalog:\n  %v\n  %v\n  %v", name, merr, gerr, nerr)
}

// catalogKVBytes is the model's KV-cache bytes per token at its own KV dtype.
func catalogKVBytes(m *catalog.Model) int64 {
	b, err := catalog.DtypeBytes(m.KVDtype)
	if err != nil {
		return 0 // catalog entries are validated; unreachable
	}
	return m.KVBytesPerToken(b)
}

func catalogPrintModels(w io.Writer, models []*catalog.Model) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tALIASES\tLAYERS\tHIDDEN\tHEADS q/kv\tATTENTION\tEXPERTS\tPARAMS\tACTIVE\tKV B/TOKEN")
	for _, m := range models {
		experts := "-"
		if m.IsMoE() {
			experts = fmt.Sprintf("%d top-%d", m.MoE.NumRoutedExperts, m.MoE.NumExpertsPerToken)
			if m.MoE.NumSharedExperts > 0 {
				experts += fmt.Sprintf(" +%d", m.MoE.NumSharedExperts)
			}
		}
		attn := string(m.Attention)
		if m.IsHybrid() {
			attn += "+linear"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d/%d\t%s\t%s\t%s\t%s\t%s (%s)\n",
			m.Name, catalogDash(strings.Join(m.Aliases, ", ")), m.NumLayers, m.HiddenSize, m.NumQHeads, m.NumKVHeads, attn,
			experts, catalogCount(m.TotalParams()), catalogCount(m.ActivatedParams()), catalogCommas(catalogKVBytes(m)), m.KVDtype)
	}
	return tw.Flush()
}

func catalogPrintGPUs(w io.Writer, gpus []*catalog.GPU) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tALIASES\tMEMORY GB\tBF16 TFLOP/s\tFP8 TFLOP/s\tHBM GB/s\tNVLINK GB/s")
	for _, g := range gpus {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Name, catalogDash(strings.Join(g.Aliases, ", ")),
			catalogNum(g.MemoryGB), catalogNum(g.BF16TFLOPS), catalogDash(catalogNum(g.FP8TFLOPS)), catalogNum(g.HBMGBps), catalogDash(catalogNum(g.NVLinkGBps)))
	}
	return tw.Flush()
}

func catalogPrintNodes(w io.Writer, nodes []*catalog.Node) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tGPU\tGPUS\tINTRA GB/s\tPAIR GB/s\tINTER GB/s")
	for _, n := range nodes {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", n.Name, n.GPU, n.GPUsPerNode,
			catalogNum(n.IntraNodeGBps), catalogDash(catalogNum(n.PairGBps)), catalogDash(catalogNum(n.InterNodeGBps)))
	}
	return tw.Flush()
}

// catalogRows writes "label  value" lines through a tabwriter, keeping the first write error.
type catalogRows struct {
	tw  *tabwriter.Writer
	err error
}

func newCatalogRows(w io.Writer) *catalogRows {
	return &catalogRows{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (r *catalogRows) add(label, format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.tw, "%s\t%s\n", label, fmt.Sprintf(format, args...))
	}
}

func (r *catalogRows) flush() error { return errors.Join(r.err, r.tw.Flush()) }

func catalogShowModel(w io.Writer, m *catalog.Model) error {
	r := newCatalogRows(w)
	r.add("model", "%s", m.Name)
	if len(m.Aliases) > 0 {
		r.add("aliases", "%s", strings.Join(m.Aliases, ", "))
	}
	r.add("family", "%s", m.Family)
	if m.Source != "" {
		r.add("source", "%s", m.Source)
	}
	var kinds []string
	if m.IsMoE() {
		moe := fmt.Sprintf("%d MoE", m.NumMoELayers())
		if dense := m.NumLayers - m.NumMoELayers(); dense > 0 {
			moe = fmt.Sprintf("%d dense, %s", dense, moe)
		}
		kinds = append(kinds, moe)
	}
	if m.IsHybrid() {
		kinds = append(kinds, fmt.Sprintf("%d full attention, %d Gated DeltaNet", m.NumFullAttentionLayers(), m.NumLinearAttentionLayers()))
	}
	if len(kinds) > 0 {
		r.add("layers", "%d (%s)", m.NumLayers, strings.Join(kinds, "; "))
	} else {
		r.add("layers", "%d", m.NumLayers)
	}
	r.add("hidden size", "%s", catalogCommas(int64(m.HiddenSize)))
	switch mla := m.MLA; {
	case mla != nil:
		r.add("attention", "MLA, %d heads: q_lora_rank %d, kv_lora_rank %d, qk head %d nope + %d rope, v head %d",
			m.NumQHeads, mla.QLoraRank, mla.KVLoraRank, mla.QKNopeHeadDim, mla.QKRopeHeadDim, mla.VHeadDim)
	default:
		extra := ""
		if m.ShareQDim > 0 {
			extra += fmt.Sprintf(", shared low-rank query %d", m.ShareQDim)
		}
		if m.AttnOutputGate {
			extra += ", gated output"
		}
		r.add("attention", "%s, %d query heads, %d KV heads, head dim %d%s", strings.ToUpper(string(m.Attention)), m.NumQHeads, m.NumKVHeads, m.HeadDim, extra)
	}
	if hy := m.Hybrid; m.IsHybrid() {
		r.add("linear attention", "Gated DeltaNet, every layer but each %dth: %d key heads × %d, %d value heads × %d, conv kernel %d",
			hy.FullAttentionInterval, hy.LinearNumKeyHeads, hy.LinearKeyHeadDim, hy.LinearNumValueHeads, hy.LinearValueHeadDim, hy.ConvKernel)
	}
	mlp := "gated"
	if !m.GatedMLP {
		mlp = "ungated"
	}
	if m.NumMoELayers() < m.NumLayers {
		r.add("dense MLP", "%s wide, %s, %s", catalogCommas(int64(m.IntermediateSize)), mlp, m.Activation)
	}
	if moe := m.MoE; m.IsMoE() {
		shared := ""
		if moe.NumSharedExperts > 0 {
			shared = fmt.Sprintf(" + %d shared", moe.NumSharedExperts)
		}
		r.add("experts", "%d routed, top-%d%s, %s wide each", moe.NumRoutedExperts, moe.NumExpertsPerToken, shared, catalogCommas(int64(moe.ExpertIntermediateSize)))
	}
	r.add("vocabulary", "%s", catalogCommas(int64(m.VocabSize)))
	if m.MaxPositionEmbeddings > 0 {
		r.add("context", "%s positions", catalogCommas(int64(m.MaxPositionEmbeddings)))
	}
	r.add("dtypes", "weights %s, KV cache %s", m.WeightDtype, m.KVDtype)
	total, act := m.TotalParams(), m.ActivatedParams()
	if m.IsMoE() {
		r.add("parameters", "%s total (%s), %s activated per token (%s)", catalogCount(total), catalogCommas(total), catalogCount(act), catalogCommas(act))
	} else {
		r.add("parameters", "%s total (%s)", catalogCount(total), catalogCommas(total))
	}
	r.add("  attention/layer", "%s", catalogCommas(m.AttentionParamsPerLayer()))
	if lin := m.LinearAttentionParamsPerLayer(); lin > 0 {
		r.add("  linear attn/layer", "%s", catalogCommas(lin))
	}
	if m.NumMoELayers() < m.NumLayers {
		r.add("  dense MLP/layer", "%s", catalogCommas(m.DenseMLPParams()))
	}
	if m.IsMoE() {
		r.add("  expert", "%s (router %s/layer, shared %s/layer)", catalogCommas(m.ExpertParams()), catalogCommas(m.RouterParams()), catalogCommas(m.SharedExpertParams()))
	}
	r.add("  embeddings", "%s", catalogCommas(m.EmbeddingParams()))
	if wb, err := catalog.DtypeBytes(m.WeightDtype); err == nil {
		r.add("weight memory", "%s at %s", catalogBytes(float64(total)*wb), m.WeightDtype)
	}
	var kvLine []string
	for _, dt := range []string{"bf16", "fp8"} {
		b, _ := catalog.DtypeBytes(dt)
		kvLine = append(kvLine, fmt.Sprintf("%s bytes per token (%s)", catalogCommas(m.KVBytesPerToken(b)), dt))
	}
	r.add("KV cache", "%s", strings.Join(kvLine, ", "))
	if m.IsHybrid() {
		r.add("linear state", "%s bytes per request (bf16)", catalogCommas(m.LinearStateBytes(2)))
	}
	r.add("FLOPs per token", "decode at 4K context %s, prefill of a 4K prompt %s",
		catalogFLOPs(m.DecodeFLOPsPerToken(4096)), catalogFLOPs(m.PrefillFLOPsPerToken(4096)))
	return r.flush()
}

func catalogShowGPU(w io.Writer, c *catalog.Catalog, g *catalog.GPU) error {
	r := newCatalogRows(w)
	r.add("gpu", "%s", g.Name)
	if len(g.Aliases) > 0 {
		r.add("aliases", "%s", strings.Join(g.Aliases, ", "))
	}
	r.add("vendor", "%s", g.Vendor)
	r.add("memory", "%s GB (%s bytes as 1024³ per GB)", catalogNum(g.MemoryGB), catalogCommas(int64(g.MemoryGB*(1<<30))))
	r.add("BF16 dense", "%s TFLOP/s", catalogNum(g.BF16TFLOPS))
	if g.FP8TFLOPS > 0 {
		r.add("FP8 dense", "%s TFLOP/s", catalogNum(g.FP8TFLOPS))
	} else {
		r.add("FP8 dense", "not supported")
	}
	r.add("memory bandwidth", "%s GB/s", catalogNum(g.HBMGBps))
	// The ridge point: arithmetic intensity above which a kernel is compute-bound.
	r.add("ridge point", "%s FLOP/byte (BF16)", catalogNum(math.Round(g.BF16TFLOPS*1e12/(g.HBMGBps*1e9))))
	if g.NVLinkGBps > 0 {
		r.add("NVLink", "%s GB/s per GPU, bidirectional", catalogNum(g.NVLinkGBps))
	} else {
		r.add("NVLink", "none (PCIe)")
	}
	var nodes []string
	for _, n := range c.Nodes() {
		if strings.EqualFold(n.GPU, g.Name) {
			nodes = append(nodes, n.Name)
		}
	}
	if len(nodes) > 0 {
		r.add("nodes", "%s", strings.Join(nodes, ", "))
	}
	r.add("source", "%s", g.Source)
	return r.flush()
}

func catalogShowNode(w io.Writer, c *catalog.Catalog, n *catalog.Node) error {
	r := newCatalogRows(w)
	r.add("node", "%s", n.Name)
	gpu := n.GPU
	if g, err := c.GPU(n.GPU); err == nil {
		gpu = fmt.Sprintf("%s (%s GB, %s BF16 TFLOP/s)", g.Name, catalogNum(g.MemoryGB), catalogNum(g.BF16TFLOPS))
		r.add("gpus", "%d × %s", n.GPUsPerNode, gpu)
		r.add("node memory", "%s GB", catalogNum(g.MemoryGB*float64(n.GPUsPerNode)))
	} else {
		r.add("gpus", "%d × %s", n.GPUsPerNode, gpu)
	}
	r.add("intra-node", "%s GB/s per GPU, each direction", catalogNum(n.IntraNodeGBps))
	if n.PairGBps > 0 {
		r.add("NVLink pair", "%s GB/s per GPU, each direction", catalogNum(n.PairGBps))
	}
	if n.InterNodeGBps > 0 {
		r.add("inter-node", "%s GB/s per GPU, each direction (%s Gb/s)", catalogNum(n.InterNodeGBps), catalogNum(n.InterNodeGBps*8))
	} else {
		r.add("inter-node", "no published scale-out network")
	}
	if n.Source != "" {
		r.add("source", "%s", n.Source)
	}
	return r.flush()
}

// catalogCount writes a count with a K/M/B/T suffix and three significant digits at most:
// 671B, 37.6B, 6.74B.
func catalogCount(n int64) string {
	v := float64(n)
	for _, u := range []struct {
		div float64
		sym string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}} {
		if math.Abs(v) >= u.div {
			return catalogSig3(v/u.div) + u.sym
		}
	}
	return strconv.FormatInt(n, 10)
}

// catalogBytes writes a byte count in decimal units (GB = 1e9).
func catalogBytes(b float64) string {
	for _, u := range []struct {
		div float64
		sym string
	}{{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "KB"}} {
		if b >= u.div {
			return catalogSig3(b/u.div) + " " + u.sym
		}
	}
	return fmt.Sprintf("%.0f B", b)
}

// catalogFLOPs writes a FLOP count as GFLOP or TFLOP.
func catalogFLOPs(f float64) string {
	if f >= 1e12 {
		return catalogSig3(f/1e12) + " TFLOP"
	}
	return catalogSig3(f/1e9) + " GFLOP"
}

// catalogSig3 formats v (≥ 1) with three significant digits, without trailing zeros: 671, 37.6, 6.74.
func catalogSig3(v float64) string {
	decimals := 2
	switch a := math.Abs(v); {
	case a >= 99.95:
		decimals = 0
	case a >= 9.995:
		decimals = 1
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// catalogCommas writes n with thousands separators: 70,272.
func catalogCommas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// catalogNum writes a float without a useless fraction: 989.4, 80.
func catalogNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func catalogDash(s string) string {
	if s == "" || s == "0" {
		return "-"
	}
	return s
}
