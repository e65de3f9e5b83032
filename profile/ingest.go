package profile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/llmsim/llmsim/catalog"
)

// detectBytes is how much of a file Detect sees.
const detectBytes = 64 << 10

// IngestOptions control Ingest.
type IngestOptions struct {
	// GPU and Network, when set, override what the folder layout says for every file
	// (ingest --gpu, --network). Model likewise overrides the model folder.
	GPU, Network, Model string
	// Lenient skips malformed rows (and files a reader rejects outright) instead of
	// failing; every skip is counted in the manifest.
	Lenient bool
	// Readers to detect formats with; nil means Readers().
	Readers []Reader
	// CreatedBy is recorded in the manifest and the Parquet footer; empty means profile.Creator.
	CreatedBy string
	// Workers bounds how many files are parsed at once; 0 means GOMAXPROCS.
	Workers int
}

// inputFile is one file found under the inputs.
type inputFile struct {
	path string // on disk
	name string // relative to the ingest root, slash-separated: Row.Source
}

// fileResult is what reading one inputFile produced.
type fileResult struct {
	rec          SourceRecord
	rows         []Row
	skipped      []Skip
	unrecognized bool
	err          error
}

// Ingest reads every file under inputs (files or directories, walked in lexical
// order), gives each to the first reader whose Detect claims its content, and returns
// the normalized, de-duplicated, sorted rows with a manifest ready for WriteDataset.
// Files no reader claims are listed in Manifest.Unrecognized and otherwise ignored.
//
// Source names are paths relative to the ingest root: the input directory when
// there is one input, else the deepest directory holding all inputs. GPU, network
// and model come from that path unless opts overrides them:
// ".../compute/<gpu>/<model...>/file", ".../network/<node>/file", or a known GPU
// folder name followed by the model folders (vidur_attention_sample/a100/org/model).
//
// A source line is a duplicate of an earlier one (in any file) when every row read
// from it matches the earlier line's rows in every column but the provenance columns
// Source, Line and Reader, statistics included: an exact repeat of a line (or of a
// file) is dropped and its rows counted against its source, as pandas'
// drop_duplicates does in Vidur. Two samples of the same point with different timings
// are repeated measurements and both are kept (Vidur's mlp.csv measures two num_tokens
// twice). Rows without a line number are compared one by one.
func Ingest(opts IngestOptions, inputs ...string) (*Dataset, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("profile: ingest: no input files or directories")
	}
	readers := opts.Readers
	if readers == nil {
		readers = Readers()
	}
	files, err := collectInputs(inputs)
	if err != nil {
		return nil, err
	}
	results := make([]fileResult, len(files))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, max(len(files), 1)) {
		wg.Go(func() {
			for i := range next {
				results[i] = ingestFile(files[i], readers, opts)
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()

	m := Manifest{CreatedBy: opts.CreatedBy}
	total := 0
	for i := range results {
		total += len(results[i].rows)
	}
	rows := make([]Row, 0, total)
	dd := newDeduper(total)
	for i := range results {
		res := &results[i]
		if res.unrecognized {
			m.Unrecognized = append(m.Unrecognized, files[i].name)
			continue
		}
		if res.err != nil {
			return nil, res.err
		}
		rec := res.rec
		for _, s := range res.skipped {
			addDrop(&rec, skipBucket(s.Reason))
		}
		for _, rec0 := range sampleRecords(res.rows) {
			if dd.seen(rec0) {
				for range rec0 {
					addDrop(&rec, "duplicate")
				}
				continue
			}
			rows = append(rows, rec0...)
			rec.RowsKept += len(rec0)
		}
		m.Sources = append(m.Sources, rec)
		res.rows = nil // let the collector have them as soon as they are merged
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("profile: ingest: no rows: %d files read, %d not recognized by any reader", len(m.Sources), len(m.Unrecognized))
	}
	SortRows(rows)
	return &Dataset{Manifest: m, Rows: rows}, nil
}

// dedupKey is r without its provenance: two rows with equal keys are the same sample
// read twice. The statistics stay in the key, so a repeated measurement is kept.
func dedupKey(row *Row) Row {
	r := *row
	r.Source, r.Line, r.Reader = "", 0, ""
	return r
}

// sampleRecords splits one file's rows into records: the rows read from one source
// line (in the order of their first row), or single rows where the reader gives no
// line. A record is what pandas' drop_duplicates compares: Vidur's mlp.csv line holds
// nine operators, and a line is a duplicate only when all of them repeat, timings
// included; one operator whose timing happens to equal an earlier sample's is kept.
func sampleRecords(rows []Row) [][]Row {
	var out [][]Row
	byLine := map[int64]int{}
	for i := range rows {
		r := rows[i]
		if r.Line == 0 {
			out = append(out, []Row{r})
			continue
		}
		j, ok := byLine[r.Line]
		if !ok {
			j = len(out)
			byLine[r.Line] = j
			out = append(out, nil)
		}
		out[j] = append(out[j], r)
	}
	return out
}

// deduper remembers every record Ingest kept, by a hash of its rows' dedupKeys, and
// compares the rows themselves on a hash match, so that only an exact repeat is seen.
type deduper struct {
	seed maphash.Seed
	kept map[uint64][][]Row
}

func newDeduper(n int) *deduper {
	return &deduper{seed: maphash.MakeSeed(), kept: make(map[uint64][][]Row, n)}
}

// seen reports whether rec repeats a record seen before, and remembers it if not.
func (d *deduper) seen(rec []Row) bool {
	keys := make([]Row, len(rec))
	var h uint64
	for i := range rec {
		keys[i] = dedupKey(&rec[i])
		h = h*0x100000001b3 ^ maphash.Comparable(d.seed, keys[i])
	}
	for _, prev := range d.kept[h] {
		if slices.Equal(prev, keys) {
			return true
		}
	}
	d.kept[h] = append(d.kept[h], keys)
	return false
}

func addDrop(rec *SourceRecord, reason string) {
	if rec.Dropped == nil {
		rec.Dropped = map[string]int{}
	}
	rec.Dropped[reason]++
}

// skipBucket is the manifest's drop reason for a Skip: its text before the first ':'.
func skipBucket(reason string) string {
	b, _, _ := strings.Cut(reason, ":")
	return strings.TrimSpace(b)
}

// ingestFile reads, hashes, detects and parses one file.
func ingestFile(f inputFile, readers []Reader, opts IngestOptions) fileResult {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fileResult{err: fmt.Errorf("profile: ingest: %w", err)}
	}
	head := data[:min(len(data), detectBytes)]
	r, ok := detectReader(readers, filepath.Base(f.path), head)
	if !ok {
		return fileResult{unrecognized: true}
	}
	sum := sha256.Sum256(data)
	gpu, network, model := inferLayout(f.name)
	gpu = firstNonEmpty(opts.GPU, gpu)
	network = firstNonEmpty(opts.Network, network)
	model = firstNonEmpty(opts.Model, model)
	rec := SourceRecord{Path: f.name, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)),
		Reader: r.Name, Kind: KindMeasured, GPU: gpu, Network: network, Model: model}
	src := Source{Name: f.name, R: bytes.NewReader(data), GPU: gpu, Network: network, Model: model}
	res, err := r.Read(src, Options{Lenient: opts.Lenient})
	if err != nil {
		if !opts.Lenient {
			return fileResult{err: err}
		}
		rec.Error = err.Error()
		return fileResult{rec: rec}
	}
	rec.RowsRead = res.RowsRead
	return fileResult{rec: rec, rows: res.Rows, skipped: res.Skipped}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// collectInputs lists the regular files under inputs, named relative to the ingest
// root, sorted by name, each once. Hidden files and directories are skipped.
func collectInputs(inputs []string) ([]inputFile, error) {
	abs := make([]string, len(inputs))
	for i, in := range inputs {
		a, err := filepath.Abs(in)
		if err != nil {
			return nil, fmt.Errorf("profile: ingest: %w", err)
		}
		abs[i] = a
	}
	root, err := ingestRoot(abs)
	if err != nil {
		return nil, err
	}
	byPath := map[string]inputFile{}
	for _, in := range abs {
		err := filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != in && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() {
				// A link to a file is read as the file; anything else that is not a
				// regular file (a device, a link to a folder) is refused by name rather
				// than dropped unrecorded.
				st, err := os.Stat(p)
				if err != nil {
					return err
				}
				if !st.Mode().IsRegular() {
					return fmt.Errorf("%s: not a regular file (links to folders are not followed; name the folder itself)", p)
				}
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			byPath[p] = inputFile{path: p, name: filepath.ToSlash(rel)}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("profile: ingest: %w", err)
		}
	}
	files := make([]inputFile, 0, len(byPath))
	for _, f := range byPath {
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b inputFile) int { return strings.Compare(a.name, b.name) })
	return files, nil
}

// ingestRoot is the directory Source names are relative to: a single input
// directory itself, a single file's directory, or the deepest common ancestor of
// several inputs.
func ingestRoot(abs []string) (string, error) {
	dirOf := func(p string) (string, error) {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("profile: ingest: %w", err)
		}
		if st.IsDir() {
			return p, nil
		}
		return filepath.Dir(p), nil
	}
	root, err := dirOf(abs[0])
	if err != nil {
		return "", err
	}
	for _, p := range abs[1:] {
		if _, err := dirOf(p); err != nil {
			return "", err
		}
		for !within(root, p) {
			root = filepath.Dir(root)
		}
	}
	if len(abs) > 1 && slices.Contains(abs, root) {
		// One input contains the others: name files from its parent so the input's
		// own folder name stays in the path.
		root = filepath.Dir(root)
	}
	return root, nil
}

func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// knownGPUFolders are GPU folder names recognised outside a compute/ folder.
var knownGPUFolders = []string{"a10", "a100", "a40", "a800", "b200", "gb200", "h100", "h20", "h200", "h800", "l4", "l40s", "mi300x", "rtx_pro_6000"}

// inferLayout reads GPU, network node and model from a slash-separated source path.
func inferLayout(name string) (gpu, network, model string) {
	seg := strings.Split(name, "/")
	dirs := seg[:len(seg)-1]
	for i := len(dirs) - 1; i >= 0; i-- {
		switch dirs[i] {
		case "compute":
			if i+1 < len(dirs) {
				return strings.ToLower(dirs[i+1]), "", strings.Join(dirs[i+2:], "/")
			}
		case "network":
			if i+1 < len(dirs) {
				return networkGPU(dirs[i+1]), dirs[i+1], ""
			}
		}
	}
	for i, d := range dirs {
		if slices.Contains(knownGPUFolders, strings.ToLower(d)) {
			return strings.ToLower(d), "", strings.Join(dirs[i+1:], "/")
		}
	}
	return "", "", ""
}

// networkGPU is the GPU of a catalog node such as a100_dgx, so that collective rows are
// keyed by GPU like compute rows; "" when the node is not in the catalog.
func networkGPU(node string) string {
	n, err := catalog.Default().Node(node)
	if err != nil {
		return ""
	}
	return n.GPU
}
