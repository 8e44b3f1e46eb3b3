package methods_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/methods/todo"
	"github.com/tomebench/tomebench/sd/models"
	"github.com/tomebench/tomebench/tome"
)

// BenchmarkMethodsSD15 times one UNet call (batch 2: a classifier-free guidance pair)
// of the SD 1.5 architecture with seeded random weights, unpatched and patched with
// ToMe (ratio 0.5), ToDo (factor 2 and 3) and AgentSD (README phase 1), on the CPU,
// and reports each variant's seconds per call and speed-up over the unpatched UNet.
//
// Every iteration runs TOMEBENCH_METHODS_ROUNDS rounds (default 3). In a round each
// variant in turn (the order rotating from round to round) opens its session, runs
// one warm-up call and one timed call, and closes, so that all variants see the same
// machine load and only one SD 1.5 session (~8 GB of RSS: the weights and ONNX
// Runtime's prepacked copy) is held at a time. The figure per variant is the median
// over rounds; the table with every round goes to stdout. Run it as
//
//	go test ./methods -run '^$' -bench MethodsSD15 -benchtime 1x -timeout 60m
//
// TOMEBENCH_METHODS_SIZE sets the image size (default 512, latent 64×64); the UNet
// is built once into ~/.cache/tomebench/bench/sd15-seed1-fp32-plain-<size> (the
// cache `tomebench bench --arch sd15` uses). TOMEBENCH_METHODS_VARIANTS picks the
// variants besides the unpatched one (comma-separated; default
// tome_r0.5,todo_f2,todo_f3; agentsd_phase1 is also available).
func BenchmarkMethodsSD15(b *testing.B) {
	orttest.Require(b)
	size := 512
	if s := os.Getenv("TOMEBENCH_METHODS_SIZE"); s != "" {
		var err error
		if size, err = strconv.Atoi(s); err != nil || size%64 != 0 {
			b.Fatalf("TOMEBENCH_METHODS_SIZE=%q: want a multiple of 64", s)
		}
	}
	latent := size / 8
	path := sd15UNet(b, size)
	type variant struct {
		name  string
		patch func(m *onnx.Model) (rand []tome.RandInput, err error)
		model []byte
		rand  []tome.RandInput
		times []float64 // seconds of the timed call, per round
	}
	lat := [2]int{latent, latent}
	variants := []*variant{
		{name: "unpatched", patch: func(*onnx.Model) ([]tome.RandInput, error) { return nil, nil }},
		{name: "tome_r0.5", patch: func(m *onnx.Model) ([]tome.RandInput, error) {
			r, err := tome.Patch(m, tome.PatchOptions{Options: tome.DefaultOptions(), Latent: lat})
			return r.RandInputs, err
		}},
		{name: "todo_f2", patch: func(m *onnx.Model) ([]tome.RandInput, error) {
			_, err := todo.Patch(m, todo.PatchOptions{Options: todo.DefaultOptions(), Latent: lat})
			return nil, err
		}},
		{name: "todo_f3", patch: func(m *onnx.Model) ([]tome.RandInput, error) {
			o := todo.DefaultOptions()
			o.Factor = 3
			_, err := todo.Patch(m, todo.PatchOptions{Options: o, Latent: lat})
			return nil, err
		}},
		{name: "agentsd_phase1", patch: func(m *onnx.Model) ([]tome.RandInput, error) {
			r, err := agentsd.Patch(m, agentsd.PatchOptions{Options: agentsd.Phases(agentsd.DefaultOptions())[0], Latent: lat})
			return r.RandInputs, err
		}},
	}
	only := "tome_r0.5,todo_f2,todo_f3"
	if s := os.Getenv("TOMEBENCH_METHODS_VARIANTS"); s != "" {
		only = s
	}
	keep := variants[:0]
	for _, v := range variants {
		if v.name == "unpatched" || strings.Contains(","+only+",", ","+v.name+",") {
			keep = append(keep, v)
		}
	}
	variants = keep
	rounds := 3
	if s := os.Getenv("TOMEBENCH_METHODS_ROUNDS"); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil || rounds < 1 {
			b.Fatalf("TOMEBENCH_METHODS_ROUNDS=%q: want a positive count", s)
		}
	}
	for _, v := range variants {
		m, err := onnx.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		if v.rand, err = v.patch(m); err != nil {
			b.Fatalf("%s: %v", v.name, err)
		}
		if v.model, err = m.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	randn := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	const B = 2
	sample := randn(B * 4 * latent * latent)
	context := randn(B * 77 * 768)
	part := tome.NewPartitioner(9, true)
	b.ResetTimer()
	for round := range b.N * rounds {
		for i := range variants {
			v := variants[(i+round)%len(variants)]
			s, err := ort.NewSessionFromBytes(v.model, ort.SessionOptions{ExternalDataDir: filepath.Dir(path)})
			if err != nil {
				b.Fatalf("%s: %v", v.name, err)
			}
			feeds := func() map[string]*ort.Tensor {
				f := map[string]*ort.Tensor{
					"sample":                ort.NewFloat32([]int64{B, 4, int64(latent), int64(latent)}, sample),
					"encoder_hidden_states": ort.NewFloat32([]int64{B, 77, 768}, context),
				}
				for _, io := range s.Inputs() {
					if io.Name == "timestep" {
						shape, n := []int64{B}, B
						if len(io.Shape) == 0 {
							shape, n = []int64{}, 1
						}
						ts := make([]float32, n)
						for k := range ts {
							ts[k] = 981
						}
						f["timestep"] = ort.NewFloat32(shape, ts)
					}
				}
				for _, r := range v.rand {
					f[r.Name] = ort.NewInt64(r.Shape(), r.Draw(part))
				}
				return f
			}
			if _, err := s.Run(feeds(), []string{"out_sample"}); err != nil { // warm-up
				b.Fatalf("%s: %v", v.name, err)
			}
			f := feeds()
			start := time.Now()
			if _, err := s.Run(f, []string{"out_sample"}); err != nil {
				b.Fatalf("%s: %v", v.name, err)
			}
			v.times = append(v.times, time.Since(start).Seconds())
			s.Close()
		}
	}
	b.StopTimer()
	base := median(variants[0].times)
	var sb strings.Builder
	fmt.Fprintf(&sb, "SD 1.5 UNet, %d² (latent %d×%d), batch %d, %d rounds (median; every round):\n", size, latent, latent, B, b.N*rounds)
	for _, v := range variants {
		sec := median(v.times)
		b.ReportMetric(sec, "s/call_"+v.name)
		b.ReportMetric(base/sec, "x_"+v.name)
		fmt.Fprintf(&sb, "  %-15s %7.3f s/call  speed-up %.2fx (of the minima %.2fx)  %.3f\n", v.name, sec, base/sec, slices.Min(variants[0].times)/slices.Min(v.times), v.times)
	}
	fmt.Print(sb.String()) // b.Log truncates benchmark output
}

// sd15UNet returns the cached SD 1.5 UNet with random weights (seed 1, fp32, plain
// attention) for the image size, building it first when missing.
func sd15UNet(b *testing.B, size int) string {
	home, err := os.UserHomeDir()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(home, ".cache", "tomebench", "bench", fmt.Sprintf("sd15-seed1-fp32-plain-%d", size))
	path := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
	os.RemoveAll(tmp)
	if _, err := models.SynthUNet(tmp, "sd15", 1, models.Options{Height: size / 8, Width: size / 8}); err != nil {
		os.RemoveAll(tmp)
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	return path
}

// median of a non-empty sample.
func median(x []float64) float64 {
	s := slices.Sorted(slices.Values(x))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func slicesSorted(x []float64) []float64 { return slices.Sorted(slices.Values(x)) }
