package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// ArtifactSchemaVersion is the version of manifest.json and of the operator files.
const ArtifactSchemaVersion = "2.0"

// File names inside an artifact directory.
const (
	ManifestFile = "manifest.json"
	// TrainingFile holds what differs from run to run (wall times); it is not covered by
	// the artifact id and not listed in the manifest.
	TrainingFile = "training.json"
	opFileSuffix = ".grid.zst"
)

// Manifest is an artifact's manifest.json.
type Manifest struct {
	SchemaVersion string `json:"schema_version"`
	// ID is the hex SHA-256 of this manifest serialised with ID empty. The manifest lists
	// the SHA-256 of every operator file, so the id covers their content too.
	ID      string `json:"id"`
	GPU     string `json:"gpu"`
	Model   string `json:"model"`
	TP      int    `json:"tp"`
	Network string `json:"network,omitempty"`
	// CollectivesOnly marks an artifact of one network's collectives (TrainCollectives):
	// no model, TP 0, Network the node.
	CollectivesOnly bool         `json:"collectives_only,omitempty"`
	BlockSize       int          `json:"block_size,omitempty"`
	Datasets        []DatasetRef `json:"datasets"`
	Seed            uint64       `json:"seed"`
	Predictor       string       `json:"predictor"` // auto, forest, linear, interp
	GridName        string       `json:"grid"`      // hyper-parameter grid: vidur, small
	Selection       string       `json:"selection"` // kfold or oob
	Folds           int          `json:"folds"`
	// CV is the fold assignment of k-fold selection (CVScheme: interleaved or
	// contiguous); empty with oob. Scores are the mean of the folds' MAPE.
	CV        string     `json:"cv,omitempty"`
	Target    string     `json:"target"` // the dataset column learnt: median_ms
	Ranges    Ranges     `json:"ranges"`
	Operators []OpRecord `json:"operators"`
}

// OpRecord is one operator's entry in the manifest.
type OpRecord struct {
	Op   string `json:"op"`
	Kind Kind   `json:"kind"` // the predictor chosen
	// File is the operator's grid file, relative to the artifact directory; SHA256 its hash.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Features are the model's inputs with their training ranges.
	Features []FeatureRange `json:"features"`
	// GridFeatures are the grid's axes (attn_prefill's grid is indexed by the chunk,
	// its model by the chunk squared).
	GridFeatures []string        `json:"grid_features"`
	CV           []KindScore     `json:"cv"`               // every kind evaluated, in order
	Params       json.RawMessage `json:"params,omitempty"` // hyper-parameters of the chosen kind
	Rows         int             `json:"rows"`
	Synthetic    bool            `json:"synthetic"` // trained on roofline rows from profile synth
	Note         string          `json:"note,omitempty"`
}

// FeatureRange is a feature's range over the training rows.
type FeatureRange struct {
	Name string  `json:"name"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// KindScore is one kind's cross-validated MAPE (null when it could not be scored).
type KindScore struct {
	Kind   Kind            `json:"kind"`
	CVMAPE *float64        `json:"cv_mape"`
	Params json.RawMessage `json:"params,omitempty"`
	Note   string          `json:"note,omitempty"`
}

// opFile is the content of one operator file. It is written canonically (see
// encodeOp), then compressed by a single-threaded zstd encoder at a fixed level, so the
// bytes, and the artifact id that hashes them, depend only on the content. (encoding/gob
// was not canonical: it numbers types from a process-wide counter, so the same grid
// encoded after some other gob type gave other bytes.)
type opFile struct {
	SchemaVersion string
	Kind          Kind
	Grid          Grid
	Model         []byte // JSON of the fitted linear or interp model; empty for forests
}

func (m *Manifest) hash() (string, error) {
	c := *m
	c.ID = ""
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// ShortID is the first 12 hex digits of the id, used in version directory names.
func (m *Manifest) ShortID() string {
	if len(m.ID) < 12 {
		return m.ID
	}
	return m.ID[:12]
}

// Version is the artifact's directory name: tp<N>-<short id>, or the short id alone for
// a collectives-only artifact.
func (m *Manifest) Version() string {
	if m.CollectivesOnly {
		return m.ShortID()
	}
	return fmt.Sprintf("tp%d-%s", m.TP, m.ShortID())
}

// Dir is the artifact's directory relative to the models folder:
// <gpu>/<model>/<version>, or <gpu>/network-<node>/<version> for collectives only.
func (m *Manifest) Dir() string {
	owner := filepath.FromSlash(m.Model)
	if m.CollectivesOnly {
		owner = "network-" + m.Network
	}
	return filepath.Join(m.GPU, owner, m.Version())
}

// opFileMagic opens every operator file; the format is
//
//	magic | uint32 header length | header (JSON of opHeader) | Median | P10 | P90
//
// with the three float64 arrays little-endian, their lengths in the header. The header
// is small; the arrays, most of the bytes, are copied in and out without parsing.
const opFileMagic = "LLMSIMOP"

// opHeader is an opFile without its value arrays.
type opHeader struct {
	SchemaVersion string          `json:"schema_version"`
	Kind          Kind            `json:"kind"`
	Op            string          `json:"op"`
	Features      []string        `json:"features"`
	Axes          [][]float64     `json:"axes"`
	Model         json.RawMessage `json:"model,omitempty"`
	Values        [3]int          `json:"values"` // lengths of Median, P10, P90
}

func encodeOp(f *opFile) ([]byte, error) {
	g := &f.Grid
	h := opHeader{SchemaVersion: f.SchemaVersion, Kind: f.Kind, Op: g.Op, Features: g.Features,
		Axes: g.Axes, Model: f.Model, Values: [3]int{len(g.Median), len(g.P10), len(g.P90)}}
	hb, err := json.Marshal(&h)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(opFileMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(len(hb)))
	buf.Write(hb)
	for _, v := range [][]float64{g.Median, g.P10, g.P90} {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(buf.Bytes(), nil), nil
}

func decodeOp(data []byte) (*opFile, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	raw, err := dec.DecodeAll(data, nil)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(raw, []byte(opFileMagic)) || len(raw) < len(opFileMagic)+4 {
		return nil, fmt.Errorf("not an llmsim operator file")
	}
	raw = raw[len(opFileMagic):]
	n := int(binary.LittleEndian.Uint32(raw))
	raw = raw[4:]
	if n > len(raw) {
		return nil, fmt.Errorf("operator file: header of %d bytes in %d", n, len(raw))
	}
	var h opHeader
	if err := json.Unmarshal(raw[:n], &h); err != nil {
		return nil, fmt.Errorf("operator file header: %w", err)
	}
	raw = raw[n:]
	if h.Values[0] < 0 || h.Values[1] < 0 || h.Values[2] < 0 || 8*(h.Values[0]+h.Values[1]+h.Values[2]) != len(raw) {
		return nil, fmt.Errorf("operator file: %v values announced, %d bytes of values", h.Values, len(raw))
	}
	vals := make([][]float64, 3)
	for i, k := range h.Values {
		if k == 0 {
			continue
		}
		vals[i] = make([]float64, k)
		for j := range vals[i] {
			vals[i][j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))
		}
		raw = raw[8*k:]
	}
	return &opFile{SchemaVersion: h.SchemaVersion, Kind: h.Kind, Model: []byte(h.Model),
		Grid: Grid{Op: h.Op, Features: h.Features, Axes: h.Axes, Median: vals[0], P10: vals[1], P90: vals[2]}}, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// opFileName maps an operator to its file name.
func opFileName(op string) string { return op + opFileSuffix }

// WriteArtifact writes res under modelsRoot/<gpu>/<model>/<version>/ and returns that
// directory. It fills res.Manifest's file hashes and id. The directory is written
// beside its final place and renamed into it, so a failure leaves nothing behind. An
// artifact with the same id that already exists and verifies is left as it is.
func WriteArtifact(modelsRoot string, res *Result) (string, error) {
	files := map[string][]byte{}
	for i := range res.Manifest.Operators {
		rec := &res.Manifest.Operators[i]
		g, ok := res.Grids[rec.Op]
		if !ok {
			rec.File, rec.SHA256 = "", ""
			continue
		}
		data, err := encodeOp(&opFile{SchemaVersion: ArtifactSchemaVersion, Kind: rec.Kind, Grid: *g, Model: res.models[rec.Op]})
		if err != nil {
			return "", fmt.Errorf("train: encoding %s: %w", rec.Op, err)
		}
		rec.File = opFileName(rec.Op)
		rec.SHA256 = sha256Hex(data)
		files[rec.File] = data
	}
	id, err := res.Manifest.hash()
	if err != nil {
		return "", err
	}
	res.Manifest.ID = id
	man, err := json.MarshalIndent(&res.Manifest, "", "  ")
	if err != nil {
		return "", err
	}
	files[ManifestFile] = append(man, '\n')

	final := filepath.Join(modelsRoot, res.Manifest.Dir())
	if _, err := os.Stat(final); err == nil {
		if _, verr := OpenArtifact(final, ""); verr != nil {
			return "", fmt.Errorf("train: %s exists and does not verify (%v); remove it to retrain", final, verr)
		}
		return final, writeTraining(final, res)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), ".tmp-"+res.Manifest.Version()+"-")
	if err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, n), files[n], 0o644); err != nil {
			return "", fmt.Errorf("train: %w", err)
		}
	}
	if err := writeTraining(tmp, res); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	ok = true
	return final, nil
}

func writeTraining(dir string, res *Result) error {
	type opTime struct {
		Op      string  `json:"op"`
		Seconds float64 `json:"seconds"`
	}
	var ts []opTime
	total := 0.0
	for _, rec := range res.Manifest.Operators {
		ts = append(ts, opTime{rec.Op, res.Seconds[rec.Op]})
		total += res.Seconds[rec.Op]
	}
	b, err := json.MarshalIndent(struct {
		ArtifactID   string   `json:"artifact_id"`
		TotalSeconds float64  `json:"total_seconds"`
		Operators    []opTime `json:"operators"`
	}{res.Manifest.ID, total, ts}, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, TrainingFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, TrainingFile))
}

// Artifact is an opened, verified artifact.
type Artifact struct {
	Dir      string
	Manifest Manifest
}

// OpenArtifact opens an artifact given its directory, or its id, id prefix or version
// name under modelsRoot, and verifies it: the manifest's id must match its content and
// every operator file its hash. A file changed after training is an error, not a
// silent retrain.
func OpenArtifact(dirOrID string, modelsRoot string) (*Artifact, error) {
	dir := dirOrID
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		if modelsRoot == "" {
			return nil, fmt.Errorf("train: %s is not an artifact directory (no %s)", dirOrID, ManifestFile)
		}
		entries, ferr := FindArtifacts(modelsRoot, "", "")
		if ferr != nil {
			return nil, ferr
		}
		var hits []string
		for _, e := range entries {
			if strings.HasPrefix(e.Manifest.ID, dirOrID) || filepath.Base(e.Dir) == dirOrID {
				hits = append(hits, e.Dir)
			}
		}
		switch len(hits) {
		case 0:
			return nil, fmt.Errorf("train: no artifact %q under %s", dirOrID, modelsRoot)
		case 1:
			dir = hits[0]
		default:
			return nil, fmt.Errorf("train: %q is ambiguous under %s: %s", dirOrID, modelsRoot, strings.Join(hits, ", "))
		}
	}
	a := &Artifact{Dir: dir}
	if err := a.verify(); err != nil {
		return nil, err
	}
	return a, nil
}

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, fmt.Errorf("train: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("train: %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
}

func (a *Artifact) verify() error {
	m, err := readManifest(a.Dir)
	if err != nil {
		return err
	}
	where := filepath.Join(a.Dir, ManifestFile)
	if major(m.SchemaVersion) != major(ArtifactSchemaVersion) {
		return fmt.Errorf("train: %s: schema version %q, this build reads %s", where, m.SchemaVersion, ArtifactSchemaVersion)
	}
	id, err := m.hash()
	if err != nil {
		return err
	}
	if id != m.ID {
		return fmt.Errorf("train: %s: content hash %s does not match the id %s (the manifest was edited)", where, id, m.ID)
	}
	for _, rec := range m.Operators {
		if rec.File == "" {
			continue
		}
		if _, err := a.readOp(rec); err != nil {
			return err
		}
	}
	a.Manifest = m
	return nil
}

func major(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return v
}

// readOp reads and checks one operator file against its manifest record.
func (a *Artifact) readOp(rec OpRecord) (*opFile, error) {
	if rec.File != opFileName(rec.Op) {
		return nil, fmt.Errorf("train: %s: operator %s names file %q", a.Dir, rec.Op, rec.File)
	}
	path := filepath.Join(a.Dir, rec.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: artifact %s: %w", a.Dir, err)
	}
	if got := sha256Hex(data); got != rec.SHA256 {
		return nil, fmt.Errorf("train: %s: SHA-256 %s does not match the manifest's %s (the file changed after training)", path, got[:12], short(rec.SHA256))
	}
	f, err := decodeOp(data)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if err := checkGrid(&f.Grid); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return f, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// checkGrid checks a grid's shape invariants.
func checkGrid(g *Grid) error {
	if len(g.Features) != len(g.Axes) {
		return fmt.Errorf("grid %s: %d features, %d axes", g.Op, len(g.Features), len(g.Axes))
	}
	n := 1
	for i, a := range g.Axes {
		if len(a) == 0 || !slices.IsSorted(a) {
			return fmt.Errorf("grid %s: axis %s is empty or not ascending", g.Op, g.Features[i])
		}
		n *= len(a)
	}
	if len(g.Median) != n || (len(g.P10) != 0 && len(g.P10) != n) || (len(g.P90) != 0 && len(g.P90) != n) {
		return fmt.Errorf("grid %s: %d values for a %d-point lattice", g.Op, len(g.Median), n)
	}
	return nil
}

// Ops lists the operators that have a grid, in manifest order.
func (a *Artifact) Ops() []string {
	var ops []string
	for _, r := range a.Manifest.Operators {
		if r.File != "" {
			ops = append(ops, r.Op)
		}
	}
	return ops
}

// Grid reads an operator's prediction grid, checking its hash again.
func (a *Artifact) Grid(op string) (*Grid, error) {
	for _, r := range a.Manifest.Operators {
		if r.Op == op && r.File != "" {
			f, err := a.readOp(r)
			if err != nil {
				return nil, err
			}
			return &f.Grid, nil
		}
	}
	return nil, fmt.Errorf("train: artifact %s has no grid for operator %q (it has %s)", a.Manifest.ShortID(), op, strings.Join(a.Ops(), ", "))
}

// Entry is an artifact found on disk, not yet verified.
type Entry struct {
	Dir      string
	Manifest Manifest
}

// FindArtifacts lists the artifacts under modelsRoot, optionally only those of a GPU
// and a model (empty strings match all), sorted by directory. Manifests that do not
// parse are reported as errors.
func FindArtifacts(modelsRoot, gpu, model string) ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(modelsRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != ManifestFile {
			return nil
		}
		dir := filepath.Dir(path)
		m, err := readManifest(dir)
		if err != nil {
			return err
		}
		if (gpu == "" || m.GPU == gpu) && (model == "" || m.Model == model) {
			out = append(out, Entry{Dir: dir, Manifest: m})
		}
		return filepath.SkipDir
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("train: models folder %s does not exist", modelsRoot)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Dir, b.Dir) })
	return out, nil
}
