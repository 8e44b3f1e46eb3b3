package pipeline

import (
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/tome"
)

// TestGoldenFP16 converts tiny_pipeline to float16 (weights and activations, float16
// inputs and outputs) and runs the golden request: the feeds and outputs are converted
// at the boundary, and the result stays near diffusers' float32 run. Tolerances are
// float16's: about 1e-3 relative per operation, grown over 21 steps.
func TestGoldenFP16(t *testing.T) {
	orttest.Require(t)
	if testing.Short() {
		t.Skip("float16 on the CPU is slow (about 30 s); skipped with -short")
	}
	p, err := Open(tinyPipeline, Options{Threads: 1, CacheDir: t.TempDir(), Precision: "fp16"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.BaseUNet().Float16() || p.text.out.DType != ort.Float16 {
		t.Fatalf("converted UNet float16 %v, text encoder output %v", p.BaseUNet().Float16(), p.text.out.DType)
	}
	g := runGolden(t, p)
	run := filepath.Join(tinyPipeline, "run")
	cases := []struct {
		name string
		got  []float32
		file string
		tol  float64 // float16 rounding, measured on this fixture (4.2e-3, 7.7e-4) and about doubled
	}{
		{"prompt_embeds", g.res.Embeddings, "prompt_embeds.npy", 1e-2},
		{"image", g.res.Pixels, "image.npy", 2e-3},
	}
	for _, c := range cases {
		d := testutil.MaxAbsDiff(c.got, testutil.ReadNPY(t, filepath.Join(run, c.file)).Float32s())
		t.Logf("%s: max abs diff %.3g from diffusers' float32 run", c.name, d)
		if d > c.tol {
			t.Errorf("%s: max abs diff %.3g > %g", c.name, d, c.tol)
		}
	}
}

// TestToMeFP16 runs a float16 UNet patched by ToMe (ratio 0.5, random partitions) on
// the CPU: its merge must run there (ONNX Runtime's CPU provider has no float16
// ScatterND add; tome sums in float32) and its image stays near the float32 patched
// model's with the same seeds and partitions (float16 rounding only).
func TestToMeFP16(t *testing.T) {
	orttest.Require(t)
	if testing.Short() {
		t.Skip("float16 on the CPU is slow; skipped with -short")
	}
	cache := t.TempDir()
	opts := tome.DefaultOptions()
	req := Request{Steps: 3, GuidanceScale: 7.5, Seed: 3}
	var images [2][]float32
	for i, prec := range []string{"fp32", "fp16"} {
		p, err := Open(tinyPipeline, Options{Threads: 1, CacheDir: cache, Precision: prec})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		u := prepare(t, p, opts)
		if patched, _ := u.Blocks(); patched == 0 {
			t.Fatalf("%s: no block patched", prec)
		}
		r := req
		r.UNet = u
		res, _ := generateWith(t, p, r)
		images[i] = res.Pixels
	}
	d := testutil.MaxAbsDiff(images[0], images[1])
	t.Logf("ToMe 0.5: float16 image within %.3g of float32's", d)
	if d > 5e-3 {
		t.Errorf("ToMe 0.5: float16 image %.3g from float32's (want ≤ 5e-3)", d)
	}
}
