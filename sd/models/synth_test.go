package models

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// TestArchParamCounts checks the parameter counts of the synthetic architectures against
// torch's sum(p.numel() for p in model.parameters()) for the released models
// (SD 1.5 UNet 859,520,964 as diffusers reports it; the tiny UNet's 2,140,036 and the tiny
// VAE's 658,375 from the fixture manifests).
func TestArchParamCounts(t *testing.T) {
	cases := []struct {
		arch            string
		unet, text, vae int64
	}{
		{"tiny", 2140036, 1600672, 658375},
		{"sd15", 859520964, 123060480, 83653863},
		{"sd2", 865910724, 340387840, 83653863},
	}
	for _, tc := range cases {
		a, err := LookupArch(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		u, tx, v, err := a.Configs()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			cfg  Config
			want int64
		}{{"unet", u, tc.unet}, {"text_encoder", tx, tc.text}, {"vae", v, tc.vae}} {
			ps, err := SynthParams(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := NumParams(ps); got != c.want {
				t.Errorf("%s %s: %d parameters, want %d", tc.arch, c.name, got, c.want)
			}
		}
	}
}

// TestSynthTinyConvert writes the tiny architecture, reads it back through the diffusers
// package (safetensors headers validated), converts it and runs the UNet; the same seed
// must give identical weights, another seed different ones.
func TestSynthTinyConvert(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	res, err := Synth(a, SynthOptions{Arch: "tiny", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params["unet"] != 2140036 {
		t.Errorf("unet params %d", res.Params["unet"])
	}
	if _, err := Synth(filepath.Join(dir, "b"), SynthOptions{Arch: "tiny", Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := Synth(filepath.Join(dir, "c"), SynthOptions{Arch: "tiny", Seed: 8}); err != nil {
		t.Fatal(err)
	}
	read := func(d string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, d, "unet/diffusion_pytorch_model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read("a"), read("b")) {
		t.Error("same seed, different weights")
	}
	if bytes.Equal(read("a"), read("c")) {
		t.Error("different seeds, same weights")
	}
	p, err := diffusers.OpenPipeline(a, diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vae, err := p.VAE()
	if err != nil {
		t.Fatal(err)
	}
	if vae.Weights.Len() != 124 { // the fixture's tiny AutoencoderKL has 124 tensors
		t.Errorf("vae has %d tensors, want 124", vae.Weights.Len())
	}
	vae.Close()
	te, err := p.TextEncoder("text_encoder")
	if err != nil {
		t.Fatal(err)
	}
	if te.Weights.Len() != 37 { // the fixture's tiny CLIPTextModel (transformers 4.26) has 37
		t.Errorf("text encoder has %d tensors, want 37", te.Weights.Len())
	}
	te.Close()

	out := filepath.Join(dir, "onnx")
	if _, err := Convert(a, out, ConvertOptions{}); err != nil {
		t.Fatal(err)
	}
	s := openSession(t, filepath.Join(out, "unet/model.onnx"))
	sample := make([]float32, 2*4*32*32)
	for i := range sample {
		sample[i] = float32(i%17)/8 - 1
	}
	got, err := s.Run(map[string]*ort.Tensor{
		UNetSample:              ort.NewFloat32([]int64{2, 4, 32, 32}, sample),
		UNetTimestep:            ort.NewFloat32([]int64{2}, []float32{981, 981}),
		UNetEncoderHiddenStates: ort.NewFloat32([]int64{2, 77, 32}, make([]float32, 2*77*32)),
	}, []string{UNetOutSample})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range got[UNetOutSample].Float32s() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite output")
		}
		sum += math.Abs(float64(v))
	}
	if sum == 0 {
		t.Error("all-zero output")
	}
}

// TestSynthSD15 writes and converts the full-size SD 1.5 architecture (3.44 GB UNet) and
// runs the UNet once. It takes minutes and 8 GB of disk, so it runs only with
// TOMEBENCH_SD15=1.
func TestSynthSD15(t *testing.T) {
	if os.Getenv("TOMEBENCH_SD15") == "" {
		t.Skip("writes 4.3 GB + 4.2 GB and takes minutes; set TOMEBENCH_SD15=1 to run")
	}
	dir := t.TempDir()
	start := time.Now()
	res, err := Synth(filepath.Join(dir, "sd15"), SynthOptions{Arch: "sd15", Seed: 1, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synth: %.1fs, %d bytes, unet %d parameters", time.Since(start).Seconds(), res.Bytes, res.Params["unet"])
	if res.Params["unet"] != 859520964 {
		t.Errorf("unet params %d, want 859520964", res.Params["unet"])
	}
	start = time.Now()
	conv, err := Convert(filepath.Join(dir, "sd15"), filepath.Join(dir, "onnx"), ConvertOptions{ImageSize: 512, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("convert: %.1fs", time.Since(start).Seconds())
	st, err := os.Stat(conv.Components[1].Weights)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unet weights.pb: %d bytes", st.Size())
	start = time.Now()
	s := openSession(t, conv.Components[1].Model)
	t.Logf("session: %.1fs", time.Since(start).Seconds())
	start = time.Now()
	got, err := s.Run(map[string]*ort.Tensor{
		UNetSample:              ort.NewFloat32([]int64{1, 4, 64, 64}, make([]float32, 4*64*64)),
		UNetTimestep:            ort.NewFloat32([]int64{1}, []float32{981}),
		UNetEncoderHiddenStates: ort.NewFloat32([]int64{1, 77, 768}, make([]float32, 77*768)),
	}, []string{UNetOutSample})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one UNet call (batch 1, 64×64): %.1fs", time.Since(start).Seconds())
	for _, v := range got[UNetOutSample].Float32s() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite output")
		}
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
