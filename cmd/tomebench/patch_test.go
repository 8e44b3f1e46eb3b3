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

const tinyUNet = fixtures + "/unet/tiny-sd15"

// TestPatchThenExec is the acceptance path of issue 3: `tomebench patch` the tiny
// UNet with tomesd's settings of run tome_r50_rand, then `tomebench exec` it with the
// draws tomesd recorded (golden/manifest.json: draw NN belongs to the NN-th merged
// block) and compare with torch's output out_tome_r50_rand within 2e-4.
func TestPatchThenExec(t *testing.T) {
	orttest.Require(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "unet_tome.onnx")
	code, stdout, stderr := tomebench("patch", tinyUNet+"/onnx/model.onnx", "--out", out, "--ratio", "0.5")
	if code != 0 {
		t.Fatalf("patch: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "3 of 10 transformer blocks patched") {
		t.Errorf("patch report:\n%s", stdout)
	}
	golden := tinyUNet + "/golden/"
	args := []string{"exec", out,
		"--input", "sample=" + golden + "sample.npy",
		"--input", "timestep=" + golden + "timestep.npy",
		"--input", "encoder_hidden_states=" + golden + "encoder_hidden_states.npy",
		"--expect", "out_sample=" + golden + "out_tome_r50_rand.npy", "--atol", "2e-4"}
	for k := range 3 {
		a, err := npy.ReadFile(fmt.Sprintf("%stome_r50_rand_draw%02d.npy", golden, k))
		if err != nil {
			t.Fatal(err)
		}
		a.Shape = a.Shape[:2] // tomesd's rand_idx has a trailing axis of 1
		f := filepath.Join(dir, fmt.Sprintf("draw%d.npy", k))
		if err := npy.WriteFile(f, a); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--input", fmt.Sprintf("tome_rand_idx_%d=%s", k, f))
	}
	code, stdout, stderr = tomebench(args...)
	t.Logf("exec: %s", strings.TrimSpace(stdout))
	if code != 0 {
		t.Fatalf("exec: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "weights.pb")); err == nil {
		t.Error("patch copied weights")
	}
}

// TestInspectGolden compares `tomebench inspect` on the tiny UNet with
// testdata/inspect_tiny_md2.stdout (blocks and token counts as in golden/manifest.json).
func TestInspectGolden(t *testing.T) {
	code, out, errOut := tomebench("inspect", tinyUNet+"/onnx/model.onnx", "--max-downsample", "2", "--merge-crossattn")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkGolden(t, "inspect_tiny_md2.stdout", "inspect", out)
}

func TestPatchUsageErrors(t *testing.T) {
	model := tinyUNet + "/onnx/model.onnx"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"patch", model}, 2, "--out is required"},
		{[]string{"patch", model, "--out", "x.onnx", "--latent", "64"}, 2, "--latent wants HxW"},
		{[]string{"inspect", model, "--ratio", "1.5"}, 2, "ratio 1.5 is outside [0, 1]"},
		{[]string{"inspect"}, 2, "want one model file"},
		{[]string{"inspect", "no/such.onnx"}, 1, "no/such.onnx"},
	}
	for _, c := range cases {
		code, _, errOut := tomebench(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
