package models

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/tome"
)

// BenchmarkSD15UNetToMe times one call of the full-size SD 1.5 UNet (random weights,
// 512×512 image = 64×64 latent, batch 2 as under classifier-free guidance) unpatched
// and patched with ToMe at ratios 0.3 and 0.5 (tomesd's other defaults: random
// partitions fed per call, attn1 only, max_downsample 1). The three models share one
// weights file; each round runs each model once, in turn, so all see the same machine
// load. Reported: seconds per call for each ratio and the speed-up over ratio 0.
// Needs 8 GB of disk and about 12 GB of memory: runs only with TOMEBENCH_SD15=1.
func BenchmarkSD15UNetToMe(b *testing.B) {
	if os.Getenv("TOMEBENCH_SD15") == "" {
		b.Skip("writes 8 GB and holds three 3.4 GB UNets; set TOMEBENCH_SD15=1 to run")
	}
	orttest.Require(b)
	dir := b.TempDir()
	if _, err := Synth(filepath.Join(dir, "sd15"), SynthOptions{Arch: "sd15", Seed: 1}); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "unet")
	if _, err := Convert(filepath.Join(dir, "sd15", "unet"), out, ConvertOptions{ImageSize: 512}); err != nil {
		b.Fatal(err)
	}
	ratios := []float64{0, 0.3, 0.5}
	type variant struct {
		ratio  float64
		s      *ort.Session
		report tome.Report
		total  time.Duration
	}
	var vs []*variant
	for _, r := range ratios {
		m, err := onnx.Load(filepath.Join(out, "model.onnx"))
		if err != nil {
			b.Fatal(err)
		}
		opts := tome.DefaultOptions()
		opts.Ratio = r
		rep, err := tome.Patch(m, tome.PatchOptions{Options: opts})
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(out, fmt.Sprintf("model_r%g.onnx", r))
		if err := m.Save(path, onnx.SaveOptions{}); err != nil { // beside weights.pb
			b.Fatal(err)
		}
		s, err := ort.NewSession(path, ort.SessionOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		vs = append(vs, &variant{ratio: r, s: s, report: rep})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	feeds := map[string]*ort.Tensor{
		UNetSample:              ort.NewFloat32([]int64{2, 4, 64, 64}, randn(2*4*64*64)),
		UNetTimestep:            ort.NewFloat32([]int64{2}, []float32{981, 981}),
		UNetEncoderHiddenStates: ort.NewFloat32([]int64{2, 77, 768}, randn(2*77*768)),
	}
	part := tome.NewPartitioner(7, true)
	b.ResetTimer()
	rounds := 0
	for b.Loop() {
		for _, v := range vs {
			in := map[string]*ort.Tensor{}
			for k, t := range feeds {
				in[k] = t
			}
			for _, ri := range v.report.RandInputs { // fresh partitions per call, as the pipeline feeds them
				in[ri.Name] = ort.NewInt64(ri.Shape(), ri.Draw(part))
			}
			start := time.Now()
			if _, err := v.s.Run(in, []string{UNetOutSample}); err != nil {
				b.Fatal(err)
			}
			v.total += time.Since(start)
		}
		rounds++
	}
	base := vs[0].total.Seconds() / float64(rounds)
	for _, v := range vs {
		sec := v.total.Seconds() / float64(rounds)
		b.ReportMetric(sec, fmt.Sprintf("s/call-r%g", v.ratio))
		if v.ratio > 0 {
			b.ReportMetric(base/sec, fmt.Sprintf("speedup-r%g", v.ratio))
		}
	}
}
