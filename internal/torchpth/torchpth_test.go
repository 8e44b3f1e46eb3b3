package torchpth

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const fixtures = "../../../shared/fixtures/fid/inception_det"

// tableEntry is one row of weights_table.json (the formula weights' shapes and the
// sha256 of their little-endian bytes, written by the fixture generator).
type tableEntry struct {
	Key         string    `json:"key"`
	Shape       []int     `json:"shape"`
	DType       string    `json:"dtype"`
	FirstValues []float64 `json:"first_values"`
	SHA256      string    `json:"sha256_le_bytes"`
}

func readTable(t *testing.T) map[string]tableEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, "weights_table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []tableEntry
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	m := map[string]tableEntry{}
	for _, r := range rows {
		m[r.Key] = r
	}
	return m
}

// TestLoadFirst6 loads the first six formula tensors in both formats (torch.save with
// and without _use_new_zipfile_serialization, per the fixture manifest) and checks keys,
// order, shapes, dtypes and the bytes' sha256 against weights_table.json.
func TestLoadFirst6(t *testing.T) {
	table := readTable(t)
	wantKeys := []string{
		"Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.weight", "Conv2d_1a_3x3.bn.bias",
		"Conv2d_1a_3x3.bn.running_mean", "Conv2d_1a_3x3.bn.running_var", "Conv2d_1a_3x3.bn.num_batches_tracked",
	}
	for _, file := range []string{"inception_det_first6_legacy.pth", "inception_det_first6_zip.pth"} {
		t.Run(file, func(t *testing.T) {
			sd, err := Load(filepath.Join(fixtures, file))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(sd.Keys, ",") != strings.Join(wantKeys, ",") {
				t.Fatalf("keys %v, want %v", sd.Keys, wantKeys)
			}
			for _, k := range sd.Keys {
				tt, row := sd.Tensors[k], table[k]
				if string(tt.DType) != row.DType || !slices.Equal(tt.Shape, row.Shape) {
					t.Errorf("%s: %s%v, want %s%v", k, tt.DType, tt.Shape, row.DType, row.Shape)
				}
				sum := sha256.Sum256(tt.Data)
				if hex.EncodeToString(sum[:]) != row.SHA256 {
					t.Errorf("%s: sha256 %x, want %s", k, sum, row.SHA256)
				}
				if tt.DType == Float32 {
					for i, want := range row.FirstValues {
						if got := float64(tt.Float32s()[i]); got != want {
							t.Errorf("%s[%d] = %v, want %v", k, i, got, want)
						}
					}
				}
			}
			if n := sd.Tensors["Conv2d_1a_3x3.bn.num_batches_tracked"].Int64s(); len(n) != 1 || n[0] != 0 {
				t.Errorf("num_batches_tracked = %v, want [0]", n)
			}
		})
	}
}

// TestBadFiles checks that truncated and foreign files give a *FormatError that names
// the file and says what is wrong.
func TestBadFiles(t *testing.T) {
	legacy, err := os.ReadFile(filepath.Join(fixtures, "inception_det_first6_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	zipped, err := os.ReadFile(filepath.Join(fixtures, "inception_det_first6_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	var zipBuf bytes.Buffer
	zw := zip.NewWriter(&zipBuf)
	w, _ := zw.Create("model/weights.bin")
	w.Write([]byte("not torch"))
	zw.Close()
	cases := []struct {
		name string
		data []byte
		want string // substring of the error
	}{
		{"empty", nil, "empty"},
		{"png", pngBuf.Bytes(), "PNG image"},
		{"zip without data.pkl", zipBuf.Bytes(), "without data.pkl"},
		{"legacy truncated in the object", legacy[:600], "truncated"},
		{"legacy truncated in the storages", legacy[:len(legacy)-10], "truncated"},
		{"legacy without storages", legacy[:1100], ""},
		{"zip truncated", zipped[:len(zipped)-100], "truncated"},
		{"plain pickle", []byte("\x80\x02K\x01."), "not a torch.save file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("bad.pth", c.data)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FormatError", err, err)
			}
			if fe.File != "bad.pth" || !strings.Contains(err.Error(), "bad.pth") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q should name bad.pth and say %q", err, c.want)
			}
		})
	}
}

// FuzzDecode feeds mutations of both fixture files: the loader must return a state_dict
// whose tensors hold exactly their elements' bytes, or a *FormatError — never panic.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"inception_det_first6_legacy.pth", "inception_det_first6_zip.pth"} {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("\x80\x02}q\x00."))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Decode("fuzz.pth", b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T, not a *FormatError", err, err)
			}
			return
		}
		for _, k := range sd.Keys {
			tt := sd.Tensors[k]
			if len(tt.Data) != tt.Len()*tt.DType.Size() {
				t.Fatalf("%s: %d bytes for %v", k, len(tt.Data), tt)
			}
		}
	})
}
