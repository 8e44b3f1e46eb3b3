package npy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const fixtures = "../../../shared/fixtures"

func TestReadFixtures(t *testing.T) {
	// Shapes and dtypes as stated in the fixtures' manifests (written by numpy.save).
	cases := []struct {
		path  string
		dtype DType
		shape []int
	}{
		{"unet/tiny-sd15/golden/sample.npy", Float32, []int{2, 4, 32, 32}},
		{"unet/tiny-sd15/golden/timestep.npy", Float32, []int{2}},
		{"pipeline/tokenizer/ids_sd1.npy", Int64, []int{1040, 77}},
		{"fid/inception_det/mu_setB.npy", Float64, []int{2048}},
	}
	for _, c := range cases {
		a, err := ReadFile(filepath.Join(fixtures, c.path))
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if a.DType != c.dtype || !reflect.DeepEqual(a.Shape, c.shape) {
			t.Errorf("%s: got %s %v, want %s %v", c.path, a.DType, a.Shape, c.dtype, c.shape)
		}
		// Round trip: our encoding decodes to the same array.
		b, err := Decode(Encode(a))
		if err != nil {
			t.Fatalf("%s: re-decode: %v", c.path, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: round trip changed the array", c.path)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	arrays := []*Array{
		NewFloat32([]int{2, 3}, []float32{1, -2, 3.5, 0, 1e-30, -7}),
		NewFloat64([]int{3}, []float64{1, 2, 3}),
		NewInt32([]int{}, []int32{42}),
		NewInt64([]int{1, 0}, []int64{}),
		NewUint8([]int{2, 2, 1}, []uint8{0, 255, 7, 8}),
	}
	dir := t.TempDir()
	for i, a := range arrays {
		p := filepath.Join(dir, "a.npy")
		if err := WriteFile(p, a); err != nil {
			t.Fatal(err)
		}
		b, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("case %d: got %+v, want %+v", i, b, a)
		}
		if raw, _ := os.ReadFile(p); headerEnd(raw)%64 != 0 {
			t.Errorf("case %d: data does not start at a multiple of 64", i)
		}
	}
	m := map[string]*Array{"mu": arrays[1], "sigma": arrays[0]}
	p := filepath.Join(dir, "s.npz")
	if err := WriteNPZFile(p, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPZFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("npz round trip: got %v", got)
	}
}

func headerEnd(b []byte) int {
	return 10 + (int(b[8]) | int(b[9])<<8)
}

func TestBadInput(t *testing.T) {
	good := Encode(NewFloat32([]int{2}, []float32{1, 2}))
	cases := map[string][]byte{
		"empty":        nil,
		"magic":        []byte("\x93NUMPX\x01\x00\x00\x00"),
		"truncated":    good[:len(good)-1],
		"long":         append(append([]byte{}, good...), 0),
		"version":      append([]byte("\x93NUMPY\x09\x00"), good[8:]...),
		"fortran":      []byte("\x93NUMPY\x01\x00\x3c\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }       \n\x00\x00\x80\x3f"),
		"object dtype": []byte("\x93NUMPY\x01\x00\x3c\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }       \n"),
	}
	for name, b := range cases {
		_, err := Decode(b)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a *FormatError", name, err)
		}
	}
}

func TestReadNPZFixture(t *testing.T) {
	m, err := ReadNPZFile(filepath.Join(fixtures, "fid/synthetic_d64/d64_i_wellcond_1.npz"))
	if err != nil {
		t.Fatal(err)
	}
	if mu, sigma := m["mu"], m["sigma"]; mu == nil || sigma == nil || !reflect.DeepEqual(sigma.Shape, []int{64, 64}) {
		t.Fatalf("got keys %v", m)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(NewFloat32([]int{2, 3}, make([]float32, 6))))
	f.Add(Encode(NewInt64([]int{1}, []int64{5})))
	f.Add(Encode(NewUint8([]int{0}, nil)))
	if b, err := os.ReadFile(filepath.Join(fixtures, "unet/tiny-sd15/golden/timestep.npy")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to an equal array.
		c, err := Decode(Encode(a))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if c.Len() != a.Len() || !reflect.DeepEqual(c.Shape, a.Shape) || c.DType != a.DType {
			t.Fatalf("round trip changed %v %v to %v %v", a.DType, a.Shape, c.DType, c.Shape)
		}
	})
}
