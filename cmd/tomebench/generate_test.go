package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestGenerateSynthTiny generates from a `synth --arch tiny` folder (converted once into
// a test cache): the same seed writes byte-identical PNGs, another seed or --ratio 0.5
// another image; --ratio 0.5 runs the patched UNet (its three full-resolution blocks,
// fed partitions, as stderr reports) unless no block is eligible; --batch and --latents
// work.
func TestGenerateSynthTiny(t *testing.T) {
	orttest.Require(t)
	dir := t.TempDir()
	model, cache := filepath.Join(dir, "model"), filepath.Join(dir, "cache")
	if code, _, errOut := tomebench("synth", "--arch", "tiny", "--out", model); code != 0 {
		t.Fatalf("synth: exit %d: %s", code, errOut)
	}
	latents := filepath.Join(dir, "latents.npy")
	r := rand.New(rand.NewPCG(9, 9))
	v := make([]float32, 4*32*32)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	if err := npy.WriteFile(latents, npy.NewFloat32([]int{1, 4, 32, 32}, v)); err != nil {
		t.Fatal(err)
	}
	gen := func(name string, extra ...string) (path, stderr string) {
		t.Helper()
		path = filepath.Join(dir, name+".png")
		args := append([]string{"generate", "--model", model, "--cache-dir", cache, "--prompt", "A high quality photograph of a tench.",
			"--steps", "3", "--threads", "1", "--quiet", "--out", path}, extra...)
		code, out, errOut := tomebench(args...)
		if code != 0 {
			t.Fatalf("generate %v: exit %d: %s", extra, code, errOut)
		}
		if strings.Contains(strings.Join(extra, " "), "--batch") {
			return path, errOut
		}
		if out != path+"\n" {
			t.Errorf("stdout %q, want the path written", out)
		}
		return path, errOut
	}
	read := func(p string) []byte {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, _ := gen("a", "--seed", "1")
	b, _ := gen("b", "--seed", "1")
	c, _ := gen("c", "--seed", "2")
	d, tomeLog := gen("d", "--seed", "1", "--ratio", "0.5")
	l, _ := gen("l", "--seed", "1", "--latents", latents)
	n, noneLog := gen("n", "--seed", "1", "--ratio", "0.5", "--merge-attn=false")
	if !bytes.Equal(read(a), read(b)) {
		t.Error("same seed: the PNGs differ")
	}
	if bytes.Equal(read(a), read(c)) {
		t.Error("seeds 1 and 2: same PNG")
	}
	if bytes.Equal(read(a), read(d)) {
		t.Error("--ratio 0.5: same PNG as without ToMe")
	}
	if bytes.Equal(read(a), read(l)) {
		t.Error("--latents: same PNG as from seeded noise")
	}
	const want = "ToMe ratio 0.5: 3 of 10 transformer blocks patched; fresh partitions fed to tome_rand_idx_0..tome_rand_idx_2 on every UNet call"
	if !strings.Contains(tomeLog, want) {
		t.Errorf("--ratio 0.5: stderr %q does not say %q", tomeLog, want)
	}
	// No layer to merge around: no block is eligible, the unpatched UNet runs and the
	// patch's warning is passed on.
	const wantNone = "ToMe ratio 0.5: 0 of 10 transformer blocks patched; running the unpatched UNet\nToMe: tome: no block patched"
	if !strings.Contains(noneLog, wantNone) {
		t.Errorf("--merge-attn=false: stderr %q does not say %q", noneLog, wantNone)
	}
	if !bytes.Equal(read(a), read(n)) {
		t.Error("--ratio 0.5 with no block patched: another PNG than without ToMe")
	}
	gen("batch", "--seed", "1", "--batch", "2")
	b0, b1 := read(filepath.Join(dir, "batch_0.png")), read(filepath.Join(dir, "batch_1.png"))
	if bytes.Equal(b0, b1) {
		t.Error("--batch 2: both images are the same")
	}
}

// TestGenerateErrors: bad command lines exit 2, bad model folders exit 1 with one
// message naming the file.
func TestGenerateErrors(t *testing.T) {
	empty := t.TempDir()
	noUNet := t.TempDir()
	os.MkdirAll(filepath.Join(noUNet, "text_encoder"), 0o755)
	os.WriteFile(filepath.Join(noUNet, "text_encoder", "model.onnx"), []byte("x"), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"generate", "--prompt", "p", "--out", "x.png"}, 2, "--model is required"},
		{[]string{"generate", "--model", empty, "--out", "x.png"}, 2, "--prompt is required"},
		{[]string{"generate", "--model", empty, "--prompt", "p"}, 2, "--out is required"},
		{[]string{"generate", "--model", empty, "--prompt", "p", "--out", "x.png", "--scheduler", "heun"}, 2, `--scheduler "heun": want pndm, ddim or euler`},
		{[]string{"generate", "--model", empty, "--prompt", "p", "--out", "x.png", "--ratio", "1.5"}, 2, "ratio 1.5 is outside [0, 1]"},
		{[]string{"generate", "--model", empty, "--prompt", "p", "--out", "x.png", "--sx", "0"}, 2, "strides sx=0, sy=2 must be at least 1"},
		{[]string{"generate", "--model", empty, "--prompt", "p", "--out", "x.png"}, 1, "neither an ONNX model folder"},
		{[]string{"generate", "--model", noUNet, "--prompt", "p", "--out", "x.png"}, 1, filepath.Join(noUNet, "unet", "model.onnx") + ": missing UNet model"},
	}
	for _, c := range cases {
		code, _, errOut := tomebench(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
