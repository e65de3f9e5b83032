package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides where the shared data folder is.
const EnvVar = "LLMSIM_SHARED_DATA"

// Root returns the shared data folder, or "" when it cannot be found. It honours
// LLMSIM_SHARED_DATA, else walks up from the working directory to the module root (the
// folder holding go.mod) and looks for ../shared/data beside it.
func Root() string {
	if d := os.Getenv(EnvVar); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return filepath.Clean(d)
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns Root joined with rel, or skips tb when that path does not exist.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		tb.Skip("shared data folder ../shared/data not found (set " + EnvVar + " to point at it)")
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data %s not present: %v", rel, err)
	}
	return p
}
