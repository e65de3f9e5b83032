package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainRefusesRepeatedDataset checks that one dataset given twice, under two paths,
// is an error naming both: its rows would otherwise count twice in every fit and score,
// or, as compare's --holdout, be scored as held out while trained on.
func TestTrainRefusesRepeatedDataset(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "synth")
	run := func(args ...string) (string, error) {
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.Execute()
		return out.String(), err
	}
	if out, err := run("profile", "synth", "--gpu", "a100", "--model", "meta-llama/Llama-2-7b-hf", "--out", ds); err != nil {
		t.Fatalf("profile synth: %v\n%s", err, out)
	}
	again := ds + "/."
	_, err := run("train", "--dataset", ds, "--dataset", again, "--model", "meta-llama/Llama-2-7b-hf", "--out", filepath.Join(dir, "models"))
	if err == nil || !strings.Contains(err.Error(), "already given as "+ds) || !strings.Contains(err.Error(), again) {
		t.Fatalf("train with one dataset twice: %v", err)
	}
	// compare's held-out dataset must not be one it trains on.
	_, err = run("compare", "--dataset", ds, "--holdout", again, "--model", "meta-llama/Llama-2-7b-hf", "--tp", "1")
	if err == nil || !strings.Contains(err.Error(), "--holdout "+again) || !strings.Contains(err.Error(), "--dataset "+ds) {
		t.Fatalf("compare holding out its own dataset: %v", err)
	}
}
