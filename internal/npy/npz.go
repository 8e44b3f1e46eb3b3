package npy

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ReadNPZFile reads every array of the .npz archive at path (np.savez or
// np.savez_compressed), keyed by name without the .npy suffix.
func ReadNPZFile(path string) (map[string]*Array, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, &FormatError{File: path, Msg: "not a .npz archive: " + err.Error()}
	}
	defer zr.Close()
	out := map[string]*Array{}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		rc, err := f.Open()
		if err != nil {
			return nil, &FormatError{File: path, Msg: fmt.Sprintf("entry %s: %v", f.Name, err)}
		}
		if f.UncompressedSize64 > 1<<34 {
			rc.Close()
			return nil, &FormatError{File: path, Msg: fmt.Sprintf("entry %s too large", f.Name)}
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, &FormatError{File: path, Msg: fmt.Sprintf("entry %s: %v", f.Name, err)}
		}
		a, err := Decode(b)
		if err != nil {
			return nil, &FormatError{File: path, Msg: fmt.Sprintf("entry %s: %v", f.Name, strings.TrimPrefix(err.Error(), "npy: "))}
		}
		out[name] = a
	}
	return out, nil
}

// WriteNPZFile writes arrays as a compressed .npz archive (as np.savez_compressed),
// atomically.
func WriteNPZFile(path string, arrays map[string]*Array) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(arrays))
	for k := range arrays {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: k + ".npy", Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := w.Write(Encode(arrays[k])); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeAtomic(path, buf.Bytes())
}
