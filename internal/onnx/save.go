package onnx

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// SaveOptions says where a saved model's weights go.
type SaveOptions struct {
	// ExternalData, if set, is a file name (relative to the saved model's folder, e.g.
	// "weights.pb") into which every initializer of at least ExternalThreshold bytes is
	// written, tensors already external included. If empty, tensors stored inline stay
	// inline and external ones keep pointing at their current files.
	ExternalData string
	// ExternalThreshold is the smallest tensor, in bytes, moved to ExternalData
	// (default 1024).
	ExternalThreshold int
}

// maxProto is protobuf's 2 GiB message limit: larger models need external data.
const maxProto = 1<<31 - 1

// Save writes the model to path. Files are written to temporaries and renamed into place,
// so a failure leaves no half-written model behind. Afterwards m.Dir is path's folder and
// external references are relative to it.
//
// External files that the model keeps referring to are not copied. ONNX Runtime refuses
// external data outside the model's folder ("External data path escapes model
// directory", checked with 1.29), so a model saved into another folder gets a hard link
// to each such file beside it. Where no link can be made (another file system, or the
// name is taken by a different file) Save fails and says so: save beside the weights,
// or set ExternalData to write a copy.
func (m *Model) Save(path string, opts SaveOptions) error {
	dir := filepath.Dir(path)
	if opts.ExternalThreshold <= 0 {
		opts.ExternalThreshold = 1024
	}
	work := proto.Clone(m.Proto).(*onnxpb.ModelProto)
	wm := &Model{Proto: work, Dir: m.Dir}
	var cleanup []string
	defer func() {
		for _, f := range cleanup {
			os.Remove(f)
		}
	}()
	var renames [][2]string
	if opts.ExternalData != "" {
		tmp, err := wm.writeExternal(dir, opts)
		if err != nil {
			return err
		}
		cleanup = append(cleanup, tmp)
		renames = append(renames, [2]string{tmp, filepath.Join(dir, opts.ExternalData)})
	} else {
		if err := wm.relocate(m.Dir, dir); err != nil {
			return err
		}
		links, err := wm.linkEscaping(dir)
		cleanup = append(cleanup, links...)
		if err != nil {
			return err
		}
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(work)
	if err != nil {
		return fmt.Errorf("onnx: %s: %w", path, err)
	}
	if len(b) > maxProto {
		return fmt.Errorf("onnx: %s: model is %d bytes, over protobuf's 2 GiB limit; save with external data", path, len(b))
	}
	tmp, err := writeTemp(dir, filepath.Base(path), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	cleanup = append(cleanup, tmp)
	renames = append(renames, [2]string{tmp, path})
	for _, r := range renames {
		if err := os.Rename(r[0], r[1]); err != nil {
			return err
		}
	}
	cleanup = nil
	m.Proto, m.Dir = work, dir
	return nil
}

// writeExternal writes the large initializers into a temporary file in dir and points
// them at opts.ExternalData; it returns the temporary file's name.
func (m *Model) writeExternal(dir string, opts SaveOptions) (string, error) {
	return writeTemp(dir, filepath.Base(opts.ExternalData), func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		var off int64
		for _, t := range m.Proto.Graph.GetInitializer() {
			size, _ := byteSize(t)
			if !isExternal(t) && size < int64(opts.ExternalThreshold) {
				continue
			}
			b, err := m.RawBytes(t)
			if err != nil {
				return err
			}
			// Align each tensor to 4 KiB, as onnx's own writer does, so it can be mapped.
			if pad := (4096 - off%4096) % 4096; pad > 0 && off > 0 {
				w.Write(make([]byte, pad))
				off += pad
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
			setExternalRef(t, ExternalRef{Location: opts.ExternalData, Offset: off, Length: int64(len(b))})
			off += int64(len(b))
		}
		return w.Flush()
	})
}

// linkEscaping makes external files outside dir reachable from inside it by hard links
// and points the tensors at the links. It returns the links it created.
func (m *Model) linkEscaping(dir string) (created []string, err error) {
	linked := map[string]string{}
	for _, t := range m.Proto.Graph.GetInitializer() {
		r, ok := External(t)
		if !ok || !escapes(r.Location) {
			continue
		}
		name, done := linked[r.Location]
		if !done {
			name = filepath.Base(r.Location)
			src := filepath.Join(dir, filepath.FromSlash(r.Location))
			dst := filepath.Join(dir, name)
			if _, err := os.Stat(dst); err == nil {
				if !sameFile(src, dst) {
					return created, fmt.Errorf("onnx: cannot refer to the weights %s from %s: %s is another file (ONNX Runtime reads external data only inside the model's folder); save beside the weights or with SaveOptions.ExternalData", src, dir, dst)
				}
			} else if err := os.Link(src, dst); err != nil {
				return created, fmt.Errorf("onnx: cannot link the weights %s into %s (%v; ONNX Runtime reads external data only inside the model's folder): save beside the weights, on the same file system, or with SaveOptions.ExternalData to write a copy", src, dir, err)
			} else {
				created = append(created, dst)
			}
			linked[r.Location] = name
		}
		r.Location = name
		setExternalRef(t, r)
	}
	return created, nil
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// writeTemp creates a temporary file named after base in dir, fills it with write and
// returns its name; on an error the file is removed.
func writeTemp(dir, base string, write func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return "", err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Marshal serializes the model (deterministically). External data stays external.
func (m *Model) Marshal() ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m.Proto)
}
