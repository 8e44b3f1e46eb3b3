package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// TestGenerateDeepCache runs the DeepCache fixture's request through the command line
// (tiny_pipeline, PNDM 10 steps, its latents, interval 3, branch 0) and compares the
// PNG with DeepCacheSDHelper's image (methods/deepcache/deepcache_i3_b0_image.npy,
// diffusers v0.19.3): within one 8-bit level, as numpy_to_pil rounds it.
func TestGenerateDeepCache(t *testing.T) {
	orttest.Require(t)
	const fixtures = "../../../shared/fixtures"
	dir := t.TempDir()
	out := filepath.Join(dir, "dc.png")
	code, _, errOut := tomebench("generate", "--model", filepath.Join(fixtures, "pipeline/tiny_pipeline"),
		"--cache-dir", filepath.Join(dir, "cache"), "--prompt", "A high quality photograph of a tench.",
		"--latents", filepath.Join(fixtures, "pipeline/tiny_pipeline/run/latents_init.npy"),
		"--steps", "10", "--guidance", "7.5", "--threads", "1", "--quiet", "--out", out,
		"--deepcache-interval", "3", "--deepcache-branch", "0")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	if want := "DeepCache interval 3, branch 0: partial calls recompute up_blocks.3 from resnets.1"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q does not say %q", errOut, want)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want := testutil.ReadNPY(t, filepath.Join(fixtures, "methods/deepcache/deepcache_i3_b0_image.npy")).Float32s()
	b := img.Bounds()
	worst := 0.0
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := img.At(x, y).RGBA()
			for c, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
				w := float64(want[(y*b.Dx()+x)*3+c]) * 255
				worst = max(worst, math.Abs(float64(v)-w))
			}
		}
	}
	t.Logf("PNG vs reference image: max %.3g levels", worst)
	if worst > 1 {
		t.Errorf("PNG differs from the reference by %.3g levels", worst)
	}

	for _, bad := range [][]string{{"--deepcache-interval", "-1"}, {"--deepcache-interval", "3", "--deepcache-branch", "-2"}} {
		args := append([]string{"generate", "--model", dir, "--prompt", "x", "--out", out}, bad...)
		if code, _, _ := tomebench(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
