package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/fixture"
	"github.com/llmsim/llmsim/train"
)

// writeNetworkArtifact trains a collectives-only artifact of node under root (message
// sizes 1 KiB..24 MiB, times scale·(0.01 ms + bytes/2e8)) and returns its manifest.
func writeNetworkArtifact(t *testing.T, root, node string, scale float64) train.Manifest {
	t.Helper()
	_, m := fixture.NetworkArtifact(t, root, node, scale, 1024, 30, 0)
	return m
}

// copyArtifact copies the pinned artifact directory dir to the same place under root.
func copyArtifact(t *testing.T, root, dir string) string {
	t.Helper()
	rel, err := filepath.Rel(filepath.Join("..", "..", "models"), dir)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, rel)
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSimulateNetworkArtifact runs a TP-2 h200 experiment whose compute artifact has no
// collective grids: a collectives-only artifact of the network, named or the only one
// under --models-root, times them and is recorded in config.json; the analytical model
// does when there is none; a wrong or ambiguous one is an error that names both sides.
func TestSimulateNetworkArtifact(t *testing.T) {
	pinned, _ := filepath.Glob(filepath.Join("..", "..", "models", "h200", "meta-llama", "Llama-2-7b-hf", "tp2-*"))
	if len(pinned) != 1 {
		t.Fatalf("pinned h200 Llama-2-7b TP 2 artifacts: %v, want one", pinned)
	}
	a, err := train.OpenArtifact(pinned[0], "")
	if err != nil {
		t.Fatal(err)
	}
	if ops := a.Ops(); strings.Contains(strings.Join(ops, ","), "all_reduce") {
		t.Fatalf("%s has an all_reduce grid; the test needs a compute artifact without one", pinned[0])
	}

	bare := filepath.Join(t.TempDir(), "models") // the compute artifact alone
	copyArtifact(t, bare, pinned[0])
	one := filepath.Join(t.TempDir(), "models") // and one h200_dgx network artifact
	compute := copyArtifact(t, one, pinned[0])
	net := writeNetworkArtifact(t, one, "h200_dgx", 1)
	other := writeNetworkArtifact(t, one, "h100_dgx", 1)
	two := filepath.Join(t.TempDir(), "models") // two h200_dgx network artifacts
	copyArtifact(t, two, pinned[0])
	writeNetworkArtifact(t, two, "h200_dgx", 1)
	writeNetworkArtifact(t, two, "h200_dgx", 2)

	run := func(root string, extra ...string) []string {
		return append([]string{"--models-root", root, "--artifact", compute,
			"--replica_config_device", "h200", "--replica_config_network_device", "h200_dgx",
			"--replica_config_tensor_parallel_size", "2", "--synthetic_request_generator_config_num_requests", "8"}, extra...)
	}
	tests := []struct {
		name    string
		args    []string
		netID   string   // config.json's network_artifact_id; "" for none
		stderr  []string // substrings of stderr
		wantErr []string // substrings of the error
	}{
		{"named", run(bare, "--network-artifact", filepath.Join(one, net.Dir())), net.ID,
			[]string{"network: collectives from " + net.ShortID()}, nil},
		{"found under the models root", run(one), net.ID,
			[]string{"has no all_reduce grid", "collectives from " + net.ShortID(), "network h200_dgx"}, nil},
		{"none: analytical", run(bare), "", nil, nil},
		{"other network", run(one, "--network-artifact", other.ShortID()), "", nil,
			[]string{other.ShortID(), "trained for network h100_dgx", "runs on h200_dgx"}},
		{"compute artifact", run(one, "--network-artifact", compute), "", nil,
			[]string{"not collectives-only", "llmsim train --collectives-only --network h200_dgx"}},
		{"two under the models root", run(two), "", nil,
			[]string{"several collectives-only artifacts for network h200_dgx", "--network-artifact"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "runs")
			cmd := newSimulateCmd()
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			cmd.SetArgs(append([]string{"--metrics_config_output_dir", out, "--no-progress", "--run-id", "r"}, tc.args...))
			var stderr strings.Builder
			cmd.SetOut(new(strings.Builder))
			cmd.SetErr(&stderr)
			err := cmd.Execute()
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("simulate accepted the network artifact")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not say %q", stderr.String(), w)
				}
			}
			b, err := os.ReadFile(filepath.Join(out, "r", "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				NetworkArtifactID string `json:"network_artifact_id"`
			}
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.NetworkArtifactID != tc.netID {
				t.Errorf("network_artifact_id %q, want %q", cfg.NetworkArtifactID, tc.netID)
			}
		})
	}
}
