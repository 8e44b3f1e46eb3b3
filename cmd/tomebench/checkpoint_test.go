package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestConvertCheckpointGenerate is issue 12's acceptance path: `tomebench convert` of the
// single-file fixture with --config gives a model whose generated image is byte-identical
// to the diffusers folder's for one seed, and `generate --model CKPT` (converted into the
// cache) gives it too; img2img, the high-res fix and a ratio schedule run from the CLI.
func TestConvertCheckpointGenerate(t *testing.T) {
	orttest.Require(t)
	single := fixtures + "/pipeline/single_file/tiny.safetensors"
	folder := fixtures + "/pipeline/tiny_pipeline"
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	out := filepath.Join(dir, "onnx")
	code, stdout, stderr := tomebench("convert", single, "--config", folder, "--out", out)
	if code != 0 || !strings.Contains(stderr, "SD 1.x-like") {
		t.Fatalf("convert: exit %d\n%s%s", code, stdout, stderr)
	}
	gen := func(name string, model string, extra ...string) []byte {
		t.Helper()
		png := filepath.Join(dir, name+".png")
		args := append([]string{"generate", "--model", model, "--prompt", "A high quality photograph of a tench.", "--steps", "4",
			"--seed", "7", "--out", png, "--quiet", "--threads", "1", "--cache-dir", cache}, extra...)
		code, stdout, stderr := tomebench(args...)
		if code != 0 {
			t.Fatalf("generate %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
		b, err := os.ReadFile(png)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ref := gen("folder", folder)
	if got := gen("converted", out); !bytes.Equal(got, ref) {
		t.Error("image from the converted checkpoint differs from the diffusers folder's")
	}
	if got := gen("direct", single, "--config", folder); !bytes.Equal(got, ref) {
		t.Error("image from generate --model CKPT differs from the diffusers folder's")
	}
	// img2img from the folder's own image, the high-res fix 64 → 128 with ToMe, a schedule.
	gen("img2img", out, "--init-image", filepath.Join(dir, "folder.png"), "--strength", "0.5")
	gen("hires", out, "--hires", "128x128", "--hires-ratio", "0.5", "--ratio", "0.3")
	gen("schedule", out, "--ratio-schedule", "two-phase:0.6@2,0.3")
	code, _, stderr = tomebench("generate", "--model", out, "--prompt", "x", "--out", filepath.Join(dir, "x.png"), "--ratio-schedule", "0.6-0.4")
	if code != 2 || !strings.Contains(stderr, "--ratio-schedule") {
		t.Errorf("bad schedule: exit %d, %s", code, stderr)
	}
}
