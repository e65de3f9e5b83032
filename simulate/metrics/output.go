package metrics

import (
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
	w     *writer
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
	// CreateTemp makes the file private (0600); outputs are ordinary files.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &output{final: final, tmp: f.Name(), f: f, w: newWriter(f)}, nil
}

// finish writes what is buffered and closes the temporary file.
func (o *output) finish() error {
	if o.f == nil {
		return nil
	}
	err := o.w.close()
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
		o.w.close()
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

// writeChunk is how many bytes a writer gathers before handing them to its goroutine.
const writeChunk = 256 << 10

// writer buffers a file's bytes and hands every full buffer to a goroutine that writes
// it, so that the simulation goes on formatting rows while the kernel copies the
// previous ones: the outputs run to tens of megabytes per ten thousand requests
// (mostly the chrome trace), and their write system calls would otherwise cost about
// as much as the simulation itself. Three buffers circulate, so memory stays at
// 3 × writeChunk per file. Write never fails; the first error of the file is returned
// by close, as bufio.Writer returns it by Flush.
type writer struct {
	buf  []byte
	todo chan []byte // full buffers, to the goroutine
	free chan []byte // written buffers, back from it
	done chan error  // the goroutine's first error, once todo is closed and drained
}

func newWriter(f *os.File) *writer {
	const buffers = 3
	w := &writer{
		buf:  make([]byte, 0, writeChunk),
		todo: make(chan []byte, buffers-1),
		free: make(chan []byte, buffers),
		done: make(chan error, 1),
	}
	for range buffers - 1 {
		w.free <- make([]byte, 0, writeChunk)
	}
	go func() {
		var err error
		for b := range w.todo {
			if err == nil {
				_, err = f.Write(b)
			}
			w.free <- b[:0]
		}
		w.done <- err
	}()
	return w
}

// Write appends p to the file.
func (w *writer) Write(p []byte) (int, error) {
	w.reserve(len(p))
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// WriteString appends s to the file.
func (w *writer) WriteString(s string) (int, error) {
	w.reserve(len(s))
	w.buf = append(w.buf, s...)
	return len(s), nil
}

// grow returns the file's buffer with room for n more bytes, for the caller to append
// to in place and hand back with setBuf; formatting straight into it saves a copy.
func (w *writer) grow(n int) []byte {
	w.reserve(n)
	return w.buf
}

// setBuf takes back the buffer grow returned, with what the caller appended.
func (w *writer) setBuf(b []byte) { w.buf = b }

// reserve hands the buffer off when n more bytes would not fit in it, so that buffers
// keep their size instead of growing by copying.
func (w *writer) reserve(n int) {
	if len(w.buf) > 0 && len(w.buf)+n > cap(w.buf) {
		w.todo <- w.buf
		w.buf = <-w.free
	}
}

// close writes what is left, stops the goroutine and returns the first write error.
// Calling it again returns nil.
func (w *writer) close() error {
	if w.todo == nil {
		return nil
	}
	if len(w.buf) > 0 {
		w.todo <- w.buf
	}
	close(w.todo)
	err := <-w.done
	w.todo, w.buf = nil, nil
	return err
}
