package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestPatchSDXL patches the fixture's torch export of the tiny SDXL UNet
// (sdxl/unet_tome/onnx): with tomesd's default max_downsample 1 nothing is eligible and
// the report says why (a warning naming the levels and SDXL); with 2 the ten blocks at
// downsample 2 are patched, and `exec` with tomesd's recorded draws gives its output
// out_tome_r50_rand_md2 (torch + tomesd 27a14a3) within 1e-4.
func TestPatchSDXL(t *testing.T) {
	const fx = fixtures + "/sdxl/unet_tome"
	if _, err := os.Stat(fx + "/onnx/model.onnx"); err != nil {
		t.Skipf("SDXL fixtures absent (%v)", err)
	}
	orttest.Require(t)
	dir := t.TempDir()
	code, stdout, stderr := tomebench("inspect", fx+"/onnx/model.onnx")
	if code != 0 || !strings.Contains(stdout, "0 of 22 transformer blocks patched") ||
		!strings.Contains(stdout, "10 at downsample 2, 12 at downsample 4, none at downsample <= 1") || !strings.Contains(stdout, "SDXL") {
		t.Errorf("inspect (max_downsample 1): exit %d\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "unet_tome.onnx")
	code, stdout, stderr = tomebench("patch", fx+"/onnx/model.onnx", "--out", out, "--ratio", "0.5", "--max-downsample", "2")
	if code != 0 || !strings.Contains(stdout, "10 of 22 transformer blocks patched") {
		t.Fatalf("patch: exit %d\n%s%s", code, stdout, stderr)
	}
	args := []string{"exec", out, "--expect", "out_sample=" + fx + "/out_tome_r50_rand_md2.npy", "--atol", "1e-4"}
	for _, in := range []string{"sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"} {
		args = append(args, "--input", in+"="+fx+"/"+in+".npy")
	}
	for k := range 10 {
		a, err := npy.ReadFile(fmt.Sprintf("%s/tome_r50_rand_md2_draw%02d.npy", fx, k))
		if err != nil {
			t.Fatal(err)
		}
		a.Shape = a.Shape[:2]
		f := filepath.Join(dir, fmt.Sprintf("draw%d.npy", k))
		if err := npy.WriteFile(f, a); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--input", fmt.Sprintf("tome_rand_idx_%d=%s", k, f))
	}
	code, stdout, stderr = tomebench(args...)
	t.Logf("exec: %s", strings.TrimSpace(stdout))
	if code != 0 {
		t.Errorf("exec: exit %d\n%s%s", code, stdout, stderr)
	}
}
