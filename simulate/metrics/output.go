package metrics

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// output is one file being written under a temporary name beside its final one; it
// only takes the final name in commit, so a failed or aborted run leaves no
// half-written file where a finished one is expected.
type output struct {
	final string
	tmp   string
	f     *os.File
	w     *bufio.Writer
}

func createOutput(dir, name string) (*output, error) {
	final := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &output{final: final, tmp: f.Name(), f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// finish flushes and closes the temporary file.
func (o *output) finish() error {
	if o.f == nil {
		return nil
	}
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	if err != nil {
		return fmt.Errorf("metrics: writing %s: %w", o.final, err)
	}
	return nil
}

// discard closes and removes the temporary file.
func (o *output) discard() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
	if o.tmp != "" {
		os.Remove(o.tmp)
		o.tmp = ""
	}
}

func (o *output) commit() error {
	if err := os.Rename(o.tmp, o.final); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	o.tmp = ""
	return nil
}

// commitAll finishes every output and renames them into place, or, if any step fails,
// removes the temporaries and the files already renamed by this call.
func commitAll(outs []*output) error {
	var errs []error
	for _, o := range outs {
		errs = append(errs, o.finish())
	}
	if err := errors.Join(errs...); err != nil {
		for _, o := range outs {
			o.discard()
		}
		return err
	}
	for i, o := range outs {
		if err := o.commit(); err != nil {
			for _, done := range outs[:i] {
				os.Remove(done.final)
			}
			for _, rest := range outs[i:] {
				rest.discard()
			}
			return err
		}
	}
	return nil
}
