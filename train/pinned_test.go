package train

import (
	"path/filepath"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
)

// TestPinnedArtifactRetrains retrains one pinned artifact of models/ as
// scripts/train-pinned.sh made it (h200 Qwen3-8B TP 1: its raw profiles are committed
// under datasets/h200-measured, so the test needs nothing from ../shared/data) and
// checks that the id comes out the same: the artifact is reproducible from the
// repository with its recorded seed and settings.
func TestPinnedArtifactRetrains(t *testing.T) {
	if testing.Short() {
		t.Skip("short: retrains a whole artifact")
	}
	const gpu, model, tp = "h200", "Qwen/Qwen3-8B", 1
	entries, err := FindArtifacts(filepath.Join("..", "models"), gpu, model)
	if err != nil {
		t.Fatal(err)
	}
	var pinned *Manifest
	for i := range entries {
		if entries[i].Manifest.TP == tp {
			pinned = &entries[i].Manifest
		}
	}
	if pinned == nil {
		t.Fatalf("no pinned %s %s tp%d artifact under models/ (scripts/train-pinned.sh writes it)", gpu, model, tp)
	}

	// What `llmsim profile ingest --out D datasets/h200-measured/raw` writes, whichever
	// build runs it.
	ds, err := profile.Ingest(profile.IngestOptions{}, filepath.Join("..", "datasets", "h200-measured", "raw"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "h200")
	if err := profile.WriteDataset(dir, ds.Rows, &ds.Manifest); err != nil {
		t.Fatal(err)
	}
	read, err := profile.ReadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := pinned.Datasets
	if len(cat) != 1 || cat[0].ID != read.Manifest.DatasetID {
		t.Fatalf("the pinned artifact was trained on datasets %+v; ingesting the committed raw files gives %s", cat, read.Manifest.DatasetID)
	}
	m, err := catalog.Default().Model(model)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{
		Selection: Selection{GPU: gpu, TP: tp, BlockSize: pinned.BlockSize},
		Predictor: pinned.Predictor, Folds: pinned.Folds, CV: CVScheme(pinned.CV),
		Ranges: pinned.Ranges, Seed: pinned.Seed,
	}
	if opt.Grid, err = GridByName(pinned.GridName, pinned.Seed); err != nil {
		t.Fatal(err)
	}
	in := Input{Rows: read.Rows, Datasets: []DatasetRef{{ID: read.Manifest.DatasetID, Rows: len(read.Rows), Synthetic: read.Manifest.Synthetic}}}
	res, err := Train(in, *m, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := WriteArtifact(filepath.Join(t.TempDir(), "models"), res)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ID != pinned.ID {
		t.Errorf("retrained %s: id %s, the pinned artifact's is %s", got, res.Manifest.ID, pinned.ID)
	}
}
