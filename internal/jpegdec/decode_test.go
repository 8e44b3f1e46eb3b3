package jpegdec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// testCase is one entry of testdata/cases.json, written by testdata/gen.py.
type testCase struct {
	Encoder  string `json:"encoder"`
	Mode     string `json:"mode"`
	PILError string `json:"pil_error"`
}

// unsupported lists the cases PIL decodes and this package deliberately does not,
// with the error they must give.
var unsupported = map[string]string{
	"cjpeg_arith": "jpegdec: unsupported JPEG feature: lossless, hierarchical or arithmetic-coded JPEG",
}

func loadCases(t testing.TB) (map[string]testCase, string) {
	t.Helper()
	b, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		LibjpegTurbo string              `json:"libjpeg_turbo"`
		Cases        map[string]testCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 50 {
		t.Fatalf("only %d cases in testdata/cases.json", len(f.Cases))
	}
	return f.Cases, f.LibjpegTurbo
}

func readPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// pixels returns img's samples as PIL lays them out: 1 byte per pixel for L, 3 for
// RGB, 4 for CMYK (and for a CMYK reference stored as RGBA).
func pixels(img image.Image) ([]byte, int) {
	b := img.Bounds()
	var out []byte
	var n int
	switch m := img.(type) {
	case *image.Gray:
		return bytes.Clone(m.Pix), 1
	case *image.CMYK:
		return bytes.Clone(m.Pix), 4
	case *image.NRGBA:
		return bytes.Clone(m.Pix), 4
	case *image.RGBA:
		n = 3
		for i := 0; i < len(m.Pix); i += 4 {
			out = append(out, m.Pix[i:i+3]...)
		}
		return out, n
	}
	panic(fmt.Sprintf("pixels: unexpected %T of %v", img, b))
}

// TestDecodeMatchesPIL decodes every test JPEG and requires PIL's pixels exactly
// (the references are PIL 9.4.0 / libjpeg-turbo 2.1.5 decodes, see testdata/gen.py).
func TestDecodeMatchesPIL(t *testing.T) {
	cases, version := loadCases(t)
	t.Logf("references from libjpeg-turbo %s", version)
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".jpg"))
			if err != nil {
				t.Fatal(err)
			}
			img, err := Decode(bytes.NewReader(data))
			if want, ok := unsupported[name]; ok || tc.PILError != "" {
				if err == nil || ok && err.Error() != want {
					t.Fatalf("Decode error = %v, want %q (PIL: %q)", err, want, tc.PILError)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode (%s): %v", tc.Encoder, err)
			}
			ref := readPNG(t, filepath.Join("testdata", name+".png"))
			if img.Bounds() != ref.Bounds() {
				t.Fatalf("bounds %v, PIL %v", img.Bounds(), ref.Bounds())
			}
			got, gn := pixels(img)
			want, wn := pixels(ref)
			if gn != wn {
				t.Fatalf("%d channels (%T), PIL mode %s", gn, img, tc.Mode)
			}
			if d := diff(got, want); d.n > 0 {
				t.Errorf("%s: %d of %d samples differ, max %d, first at sample %d",
					tc.Encoder, d.n, len(got), d.max, d.first)
			}
		})
	}
}

type diffStats struct{ n, max, first int }

func diff(a, b []byte) diffStats {
	s := diffStats{first: -1}
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		if d > 0 {
			if s.n == 0 {
				s.first = i
			}
			s.n++
			s.max = max(s.max, d)
		}
	}
	return s
}

// TestDecodeErrors checks that malformed input gives typed errors.
func TestDecodeErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/q75_420_base.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sofAt := bytes.Index(good, []byte{0xff, 0xc0})
	twoComp := bytes.Clone(good)
	twoComp[sofAt+9] = 2
	for _, tc := range []struct {
		name string
		data []byte
		want any // *FormatError, *UnsupportedError or io error
	}{
		{"empty", nil, errors.New("")},
		{"not jpeg", []byte("\x89PNG\r\n\x1a\n"), FormatError("")},
		{"truncated", good[:len(good)/2], errors.New("")},
		{"two components", twoComp, FormatError("")},
	} {
		_, err := Decode(bytes.NewReader(tc.data))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		switch tc.want.(type) {
		case FormatError:
			var fe FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%s: error %v (%T), want a FormatError", tc.name, err, err)
			}
		}
	}
}
