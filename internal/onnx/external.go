package onnx

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// An ExternalRef locates a tensor's bytes in a file beside the model.
type ExternalRef struct {
	Location string // path relative to the model's folder
	Offset   int64
	Length   int64 // -1: to the end of the file
}

func isExternal(t *onnxpb.TensorProto) bool {
	return t.DataLocation == onnxpb.TensorProto_EXTERNAL
}

func externalRef(t *onnxpb.TensorProto) (ExternalRef, error) {
	r := ExternalRef{Length: -1}
	for _, kv := range t.ExternalData {
		switch kv.Key {
		case "location":
			r.Location = kv.Value
		case "offset", "length":
			v, err := strconv.ParseInt(kv.Value, 10, 64)
			if err != nil || v < 0 {
				return r, fmt.Errorf("tensor %q: bad external-data %s %q", t.Name, kv.Key, kv.Value)
			}
			if kv.Key == "offset" {
				r.Offset = v
			} else {
				r.Length = v
			}
		}
	}
	if r.Location == "" {
		return r, fmt.Errorf("tensor %q: external data without a location", t.Name)
	}
	if filepath.IsAbs(r.Location) {
		return r, fmt.Errorf("tensor %q: external-data location %q is absolute", t.Name, r.Location)
	}
	return r, nil
}

func setExternalRef(t *onnxpb.TensorProto, r ExternalRef) {
	t.RawData = nil
	t.FloatData, t.Int32Data, t.Int64Data, t.DoubleData, t.Uint64Data = nil, nil, nil, nil, nil
	t.DataLocation = onnxpb.TensorProto_EXTERNAL
	t.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: "location", Value: filepath.ToSlash(r.Location)},
		{Key: "offset", Value: strconv.FormatInt(r.Offset, 10)},
		{Key: "length", Value: strconv.FormatInt(r.Length, 10)},
	}
}

// External reports where an initializer's bytes live, if outside the model.
func External(t *onnxpb.TensorProto) (ExternalRef, bool) {
	if !isExternal(t) {
		return ExternalRef{}, false
	}
	r, err := externalRef(t)
	return r, err == nil
}

// ExternalFiles lists the external-data files the model refers to, relative to Dir.
func (m *Model) ExternalFiles() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range m.Proto.Graph.GetInitializer() {
		if r, ok := External(t); ok && !seen[r.Location] {
			seen[r.Location] = true
			out = append(out, r.Location)
		}
	}
	return out
}

// RawBytes returns a tensor's data as little-endian bytes in ONNX's raw_data layout,
// reading external data from disk when the tensor lives there.
func (m *Model) RawBytes(t *onnxpb.TensorProto) ([]byte, error) {
	if !isExternal(t) {
		return rawBytes(t)
	}
	r, err := externalRef(t)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(m.Dir, filepath.FromSlash(r.Location))
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: tensor %q: %w", t.Name, err)
	}
	defer f.Close()
	n := r.Length
	if n < 0 {
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		n = st.Size() - r.Offset
	}
	want, known := byteSize(t)
	if known && want != n {
		return nil, fmt.Errorf("onnx: tensor %q: external data has %d bytes, shape %v needs %d", t.Name, n, t.Dims, want)
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, r.Offset); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("onnx: %s: tensor %q: offset %d + length %d is past the end of the file", path, t.Name, r.Offset, n)
		}
		return nil, fmt.Errorf("onnx: %s: tensor %q: %w", path, t.Name, err)
	}
	return b, nil
}

// relocate rewrites every external reference, relative to oldDir, so that it is relative
// to newDir. It fails if a file cannot be reached by a relative path.
func (m *Model) relocate(oldDir, newDir string) error {
	if oldDir == "" {
		oldDir = "."
	}
	if samePath(oldDir, newDir) {
		return nil
	}
	for _, t := range m.Proto.Graph.GetInitializer() {
		if !isExternal(t) {
			continue
		}
		r, err := externalRef(t)
		if err != nil {
			return err
		}
		abs, err := filepath.Abs(filepath.Join(oldDir, filepath.FromSlash(r.Location)))
		if err != nil {
			return err
		}
		nd, err := filepath.Abs(newDir)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(nd, abs)
		if err != nil {
			return fmt.Errorf("onnx: cannot refer to %s from %s: %w", abs, nd, err)
		}
		r.Location = rel
		setExternalRef(t, r)
	}
	return nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// escapes reports whether a relative location leaves the model's folder.
func escapes(loc string) bool {
	return loc == ".." || strings.HasPrefix(filepath.ToSlash(loc), "../")
}
