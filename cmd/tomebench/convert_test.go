package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestSynthConvertExec is the path of issue 4 without downloads: `tomebench synth` a tiny
// pipeline, `tomebench convert` it, then `tomebench convert` the fixture's tiny UNet folder
// alone and `tomebench exec` it against torch's output (unet/tiny-sd15/golden).
func TestSynthConvertExec(t *testing.T) {
	orttest.Require(t)
	dir := t.TempDir()
	code, stdout, stderr := tomebench("synth", "--arch", "tiny", "--out", filepath.Join(dir, "tiny"), "--seed", "3")
	if code != 0 || !strings.Contains(stdout, "unet         2140036 parameters") {
		t.Fatalf("synth: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = tomebench("convert", filepath.Join(dir, "tiny"), "--out", filepath.Join(dir, "onnx"), "--size", "64")
	if code != 0 {
		t.Fatalf("convert: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"unet/model.onnx", "unet/weights.pb", "text_encoder/model.onnx", "vae_decoder/model.onnx", "model_index.json"} {
		if _, err := os.Stat(filepath.Join(dir, "onnx", f)); err != nil {
			t.Error(err)
		}
	}
	unet := filepath.Join(dir, "unet")
	code, stdout, stderr = tomebench("convert", fixtures+"/unet/tiny-sd15/diffusers/unet", "--out", unet)
	if code != 0 {
		t.Fatalf("convert unet: exit %d\n%s%s", code, stdout, stderr)
	}
	golden := fixtures + "/unet/tiny-sd15/golden/"
	code, stdout, stderr = tomebench("exec", filepath.Join(unet, "model.onnx"),
		"--input", "sample="+golden+"sample_nonsq.npy",
		"--input", "timestep="+golden+"timestep.npy",
		"--input", "encoder_hidden_states="+golden+"encoder_hidden_states.npy",
		"--expect", "out_sample="+golden+"out_unpatched_nonsq.npy", "--atol", "1e-4")
	if code != 0 {
		t.Fatalf("exec: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestConvertSynthUsage checks the usage errors of convert and synth.
func TestConvertSynthUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert", "x"},
		{"convert", "--out", "y"},
		{"convert", "x", "--out", "y", "--size", "500"},
		{"synth", "--out", "y"},
		{"synth", "--arch", "sd9", "--out", "y"},
		{"synth", "--arch", "tiny"},
	} {
		if code, _, stderr := tomebench(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
}
