package models

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/tome"
)

// TestSDXLUNetCallTiming times one call of a full-size SDXL UNet (batch 2, CPU),
// unpatched and with ToMe at ratio 0.5, max_downsample 2. Set TOMEBENCH_SDXL_UNET to the
// unet/model.onnx that `tomebench convert` wrote from `tomebench synth --arch sdxl` (with
// --size 1024 or any fixed size). It is a measurement, not a check, and it is skipped
// otherwise: the fp32 weights are 10.3 GB.
//
// To fit beside other jobs it keeps the weights out of anonymous memory: ONNX Runtime
// maps weights.pb (4 KiB-aligned tensors) instead of copying it, prepacking is off
// (session.disable_prepacking) and the optimisation level is extended (no NCHWc layout
// copies of the convolution weights), so the mapped pages stay reclaimable file cache.
// Both cost some speed against ONNX Runtime's defaults; both ratios run the same way. It
// stops before running when the session's anonymous memory passes
// TOMEBENCH_SDXL_MAX_ANON_GB (default 6). benchmarks/sdxl.md has the numbers.
func TestSDXLUNetCallTiming(t *testing.T) {
	path := os.Getenv("TOMEBENCH_SDXL_UNET")
	if path == "" {
		t.Skip("set TOMEBENCH_SDXL_UNET to a converted SDXL unet/model.onnx (10.3 GB of weights) to run")
	}
	orttest.Require(t)
	maxAnon := 6.0
	if v, err := strconv.ParseFloat(os.Getenv("TOMEBENCH_SDXL_MAX_ANON_GB"), 64); err == nil {
		maxAnon = v
	}
	calls := 1
	if v, err := strconv.Atoi(os.Getenv("TOMEBENCH_SDXL_CALLS")); err == nil && v > 0 {
		calls = v
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	shape, ok := m.Graph().Shape(UNetSample)
	if !ok || len(shape) != 4 || shape[2].Value <= 0 || shape[3].Value <= 0 {
		t.Fatalf("sample shape %v: convert with --size to fix the latent size", shape)
	}
	h, w := int(shape[2].Value), int(shape[3].Value)
	const B = 2
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	px := float32(8 * h)
	in := map[string]*ort.Tensor{
		UNetSample:              ort.NewFloat32([]int64{B, 4, int64(h), int64(w)}, randn(B*4*h*w)),
		UNetTimestep:            ort.NewFloat32([]int64{B}, []float32{951, 951}),
		UNetEncoderHiddenStates: ort.NewFloat32([]int64{B, 77, 2048}, randn(B*77*2048)),
		UNetTextEmbeds:          ort.NewFloat32([]int64{B, 1280}, randn(B*1280)),
		UNetTimeIDs:             ort.NewFloat32([]int64{B, 6}, []float32{px, 8 * float32(w), 0, 0, px, 8 * float32(w), px, 8 * float32(w), 0, 0, px, 8 * float32(w)}),
	}
	so := ort.SessionOptions{OptLevel: ort.OptExtended, ExternalDataDir: filepath.Dir(path),
		Config: map[string]string{"session.disable_prepacking": "1"}}
	t.Logf("latent %dx%d (image %dx%d), batch %d; %s", h, w, 8*h, 8*w, B, loadLine())
	ratios := []float64{0, 0.5} // TOMEBENCH_SDXL_RATIOS="0.5,0" reverses the order
	if v := os.Getenv("TOMEBENCH_SDXL_RATIOS"); v != "" {
		ratios = ratios[:0]
		for _, f := range strings.Split(v, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				t.Fatalf("TOMEBENCH_SDXL_RATIOS: %v", err)
			}
			ratios = append(ratios, r)
		}
	}
	for _, ratio := range ratios {
		mr := m // ratio 0: the graph as converted; otherwise a fresh copy, patched
		feeds := map[string]*ort.Tensor{}
		for k, v := range in {
			feeds[k] = v
		}
		if ratio > 0 {
			if mr, err = onnx.Load(path); err != nil {
				t.Fatal(err)
			}
			o := tome.DefaultOptions()
			o.Ratio, o.MaxDownsample = ratio, 2
			rep, err := tome.Patch(mr, tome.PatchOptions{Options: o})
			if err != nil {
				t.Fatal(err)
			}
			part := tome.NewPartitioner(7, true)
			for _, ri := range rep.RandInputs {
				s := ri.Shape()
				feeds[ri.Name] = ort.NewInt64(s, part.Draw(ri.H, ri.W, ri.SX, ri.SY))
			}
			t.Logf("ratio %g: %d of %d blocks patched", ratio, rep.Patched, len(rep.Blocks))
		}
		raw, err := mr.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s, err := ort.NewSessionFromBytes(raw, so)
		if err != nil {
			t.Fatal(err)
		}
		anon, file := rss()
		t.Logf("ratio %g: session opened in %.1f s; RssAnon %.2f GB, RssFile %.2f GB", ratio, time.Since(start).Seconds(), anon, file)
		if anon > maxAnon {
			s.Close()
			t.Fatalf("anonymous memory %.2f GB > %.1f GB after opening: weights were copied, not mapped; stopping", anon, maxAnon)
		}
		for c := range calls {
			start = time.Now()
			if _, err := s.Run(feeds, []string{UNetOutSample}); err != nil {
				s.Close()
				t.Fatal(err)
			}
			anon, file = rss()
			t.Logf("ratio %g: call %d: %.1f s; RssAnon %.2f GB, RssFile %.2f GB, VmHWM %.2f GB; %s", ratio, c+1, time.Since(start).Seconds(), anon, file, hwm(), loadLine())
		}
		s.Close()
	}
}

// rss returns RssAnon and RssFile of this process in GB (/proc/self/status).
func rss() (anon, file float64) {
	return procStatus("RssAnon:"), procStatus("RssFile:")
}

func hwm() float64 { return procStatus("VmHWM:") }

func procStatus(key string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == key {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024 / 1e9
		}
	}
	return 0
}

func loadLine() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return "loadavg " + strings.Join(strings.Fields(string(b))[:3], " ")
}
