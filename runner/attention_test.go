package runner

import (
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/sd/pipeline"
)

// TestFusedAttentionRun runs the same small sweep with model.attention plain (the
// default) and fused: the fused run records its attention in the plan, gets IDs of its
// own, and makes the same images as the plain run up to rounding (the two graphs agree
// within 1.5e-6, sd/models' TestFusedAttentionMatchesPlain). An ONNX folder cannot be
// run with fused attention: the error names the config and the key.
func TestFusedAttentionRun(t *testing.T) {
	needORT(t)
	text := strings.Replace(testConfig, "  - method: tome\n    schedule: [{two_phase: {first: 0.6, steps: 4, then: 0.3}}]\n", "", 1)
	plainOut, fusedOut := filepath.Join(t.TempDir(), "plain"), filepath.Join(t.TempDir(), "fused")
	plain := runInProcess(t, loadConfig(t, writeConfig(t, text)), plainOut, Whole, false)
	fusedText := strings.Replace(text, "  synth: {arch: tiny, seed: 1}\n", "  synth: {arch: tiny, seed: 1}\n  attention: fused\n", 1)
	fused := runInProcess(t, loadConfig(t, writeConfig(t, fusedText)), fusedOut, Whole, false)

	if plain.Plan.Model.Attention != "" || fused.Plan.Model.Attention != "fused" {
		t.Errorf("plan attention: plain run %q, fused run %q", plain.Plan.Model.Attention, fused.Plan.Model.Attention)
	}
	if len(plain.Plan.Variants) != 2 || len(fused.Plan.Variants) != 2 {
		t.Fatalf("variants: %d and %d, want 2", len(plain.Plan.Variants), len(fused.Plan.Variants))
	}
	for i, pv := range plain.Plan.Variants {
		fv := fused.Plan.Variants[i]
		if pv.ID == fv.ID {
			t.Errorf("%s: the same ID %s with plain and fused attention", pv.Label, pv.ID)
		}
		worst := 0
		for j := range plain.Plan.Prompts.Prompts {
			a := mustReadPNG(t, filepath.Join(plainOut, ImagePath(pv.ID, j)))
			b := mustReadPNG(t, filepath.Join(fusedOut, ImagePath(fv.ID, j)))
			worst = max(worst, maxPixelDiff(t, a, b))
		}
		if worst > 2 {
			t.Errorf("%s: fused-attention images differ from plain ones by up to %d/255", pv.Label, worst)
		}
		t.Logf("%s: largest pixel difference plain vs fused %d/255", pv.Label, worst)
	}

	// The converted (ONNX) folder of the synthesised model, run with fused attention.
	conv, err := pipeline.ConvertedDir(filepath.Join(cacheDir(t), "synth", "tiny-seed1"), pipeline.Options{CacheDir: filepath.Join(cacheDir(t), "converted")})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := writeConfig(t, strings.Replace(fusedText, "  synth: {arch: tiny, seed: 1}\n", "  path: "+conv+"\n", 1))
	_, _, err = Resolve(loadConfig(t, cfgPath), cacheDir(t), nil, func(Event) {})
	if err == nil || !strings.Contains(err.Error(), cfgPath+": model.attention: fused needs a diffusers folder") {
		t.Errorf("fused attention on an ONNX folder: %v", err)
	}
}

func mustReadPNG(t *testing.T, path string) image.Image {
	t.Helper()
	img, err := readPNG(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// maxPixelDiff is the largest difference of any 8-bit channel between a and b.
func maxPixelDiff(t *testing.T, a, b image.Image) int {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("image sizes %v and %v", a.Bounds(), b.Bounds())
	}
	worst := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(ar>>8) - int(br>>8), int(ag>>8) - int(bg>>8), int(ab>>8) - int(bb>>8)} {
				worst = max(worst, d, -d)
			}
		}
	}
	return worst
}
