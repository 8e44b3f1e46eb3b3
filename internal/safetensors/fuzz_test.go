package safetensors

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFromBytes feeds arbitrary files to the parser. Bad input must give a *FormatError,
// never a panic; good input must survive reading every tensor and an Encode/FromBytes
// round trip with identical names, dtypes, shapes and bytes.
func FuzzFromBytes(f *testing.F) {
	f.Add(build(`{}`, 0))
	f.Add(build(`{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add(build(`{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"F64","shape":[],"data_offsets":[2,10]}}`, 10))
	f.Add(build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4))
	if b, err := os.ReadFile(filepath.Join(fixtures, "pipeline/text_encoder/text_encoder/model.safetensors")); err == nil {
		f.Add(b[:8+4160+616+100]) // truncated real file
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := FromBytes("fuzz", data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		var ts []Tensor
		for _, n := range file.Names() {
			ti, ok := file.Tensor(n)
			if !ok || len(ti.Bytes) != ti.NumElements()*ti.DType.Size() {
				t.Fatalf("tensor %q: %d bytes for shape %v", n, len(ti.Bytes), ti.Shape)
			}
			if ti.DType.IsFloat() {
				if _, _, err := file.Float32(n); err != nil {
					t.Fatal(err)
				}
			}
			ts = append(ts, Tensor{Name: n, DType: ti.DType, Shape: ti.Shape, Data: ti.Bytes})
		}
		var buf bytes.Buffer
		if err := Encode(&buf, ts, file.Metadata()); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := FromBytes("again", buf.Bytes())
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		for _, tt := range ts {
			ti, ok := again.Tensor(tt.Name)
			if !ok || ti.DType != tt.DType || !bytes.Equal(ti.Bytes, tt.Data) || len(ti.Shape) != len(tt.Shape) {
				t.Fatalf("round trip changed %q", tt.Name)
			}
		}
	})
}
