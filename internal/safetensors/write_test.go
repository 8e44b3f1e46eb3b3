package safetensors

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncodeReproducesFixtures re-encodes every tensor of the fixture files and compares
// the SHA-256 of the result with the one recorded in the manifests (written by the Python
// safetensors package): the same layout, header text and padding, byte for byte.
func TestEncodeReproducesFixtures(t *testing.T) {
	cases := []struct{ path, sha string }{
		{"unet/tiny-sd15/diffusers/unet/diffusion_pytorch_model.safetensors", "b28354a9621a78e337a249caac7225ea3a7a703ae069da848f8c1e695a21bff7"},
		{"pipeline/vae/vae/diffusion_pytorch_model.safetensors", "53cb72dafa4aa68892d13b7939a6ac016ea7efe31dd3fe6bd443be69aa31e22e"},
		{"pipeline/text_encoder/text_encoder/model.safetensors", "b5b04810c7275e188f7c54ddbf03fe1e0ddaabf3018ad1dbd1c3a4cb74c6be5b"},
	}
	for _, c := range cases {
		f, err := Open(filepath.Join(fixtures, c.path))
		if err != nil {
			t.Fatal(err)
		}
		var ts []Tensor
		for i := len(f.Names()) - 1; i >= 0; i-- { // reversed: Encode must sort
			n := f.Names()[i]
			ti, _ := f.Tensor(n)
			ts = append(ts, Tensor{Name: n, DType: ti.DType, Shape: ti.Shape, Data: ti.Bytes})
		}
		var buf bytes.Buffer
		if err := Encode(&buf, ts, f.Metadata()); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(buf.Bytes())
		if got := hex.EncodeToString(sum[:]); got != c.sha {
			t.Errorf("%s: re-encoded sha256 %s, want %s", c.path, got, c.sha)
		}
		f.Close()
	}
}

// TestWriteRoundTrip writes mixed dtypes with Write and reads them back with Open.
func TestWriteRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	v := make([]float32, 2*3*5)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	v[0], v[1], v[2] = float32(math.Inf(-1)), 1e-7, 70000 // inf, f16 subnormal, f16 overflow
	ts := []Tensor{
		NewF32("w.f32", []int{2, 3, 5}, v),
		NewF16("w.f16", []int{2, 3, 5}, v),
		NewBF16("w.bf16", []int{30}, v),
		NewI64("ids", []int{1, 3}, []int64{0, -1, 1 << 40}),
		{Name: "flag", DType: Bool, Shape: []int{}, Data: []byte{1}},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := Write(path, ts, map[string]string{"format": "pt", "note": "round trip"}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %d entries after Write, want 1 (no temp files left)", len(ents))
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata()["note"] != "round trip" || f.Len() != 5 || (8+f.HeaderSize())%8 != 0 {
		t.Fatalf("metadata %v, %d tensors, header %d", f.Metadata(), f.Len(), f.HeaderSize())
	}
	// Tolerances: F32 exact; F16 and BF16 within half an ulp of their format
	// (relative 2^-11 and 2^-8), with f16 underflow to subnormals checked absolutely.
	for _, c := range []struct {
		name string
		rel  float64
	}{{"w.f32", 0}, {"w.f16", math.Ldexp(1, -11)}, {"w.bf16", math.Ldexp(1, -8)}} {
		got, shape, err := f.Float32(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 30 || shape[len(shape)-1] == 0 {
			t.Fatalf("%s: %d values, shape %v", c.name, len(got), shape)
		}
		for i, w := range v {
			g := float64(got[i])
			if c.name == "w.f16" && i == 2 {
				if !math.IsInf(g, 1) {
					t.Errorf("f16(70000) = %g, want +Inf", g)
				}
				continue
			}
			if math.IsInf(float64(w), 0) {
				if g != float64(w) {
					t.Errorf("%s[%d] = %g, want %g", c.name, i, g, w)
				}
				continue
			}
			if math.Abs(g-float64(w)) > c.rel*math.Abs(float64(w))+math.Ldexp(1, -25) {
				t.Errorf("%s[%d] = %g, want %g (rel %g)", c.name, i, g, w, c.rel)
			}
		}
	}
	if ti, _ := f.Tensor("flag"); len(ti.Shape) != 0 || ti.Bytes[0] != 1 {
		t.Errorf("flag = %v", ti)
	}
}

func TestEncodeErrors(t *testing.T) {
	cases := []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"duplicate", []Tensor{NewF32("a", []int{1}, []float32{1}), NewF32("a", []int{1}, []float32{2})}, "given twice"},
		{"empty name", []Tensor{NewF32("", []int{1}, []float32{1})}, "empty name"},
		{"reserved", []Tensor{NewF32("__metadata__", []int{1}, []float32{1})}, "cannot name"},
		{"dtype", []Tensor{{Name: "a", DType: "F12", Shape: []int{1}, Data: []byte{0}}}, "unknown dtype"},
		{"length", []Tensor{{Name: "a", DType: F32, Shape: []int{2}, Data: []byte{0, 0, 0, 0}}}, "needs 8 bytes"},
	}
	for _, c := range cases {
		err := Encode(&bytes.Buffer{}, c.ts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// A failed Write leaves neither the target nor a temporary file.
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "x.safetensors"), cases[0].ts, nil); err == nil {
		t.Error("Write with duplicate names succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed Write left %d files", len(ents))
	}
}
