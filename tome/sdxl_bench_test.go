package tome

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// BenchmarkToMeSDXLBlock is BenchmarkToMeOverhead at the shapes of the SDXL blocks ToMe
// patches with max_downsample 2 at 1024×1024: the 2×-downsampled level, 64×64 = 4096
// tokens of 640 channels in 10 heads, batch 2 (one image under guidance), ratio 0.5. Ten
// such blocks run per UNet call (down_blocks.1: 4, up_blocks.1: 6). It reports the
// self-attention at N and N−r tokens, ToMe's own ops, the patched attention, and
// ToMe's share of the time merging saves. benchmarks/sdxl.md has the numbers.
func BenchmarkToMeSDXLBlock(b *testing.B) {
	orttest.Require(b)
	const N, C, heads, H, W, B, ratio = 4096, 640, 10, 64, 64, 2, 0.5
	r := NumMerged(N, ratio, N-(H/2)*(W/2))
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, B*N*C)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	randIdx := NewPartitioner(5, true).Draw(H, W, 2, 2)
	type run struct {
		name  string
		m     *onnx.Model
		feeds map[string]*ort.Tensor
		s     *ort.Session
		total time.Duration
	}
	full := map[string]*ort.Tensor{"x": ort.NewFloat32([]int64{B, N, C}, x)}
	short := map[string]*ort.Tensor{"x": ort.NewFloat32([]int64{B, int64(N - r), C}, x[:B*(N-r)*C])}
	withRand := map[string]*ort.Tensor{"x": full["x"], "tome_rand_idx_0": ort.NewInt64([]int64{H / 2, W / 2}, randIdx)}
	runs := []*run{
		{name: "attn_N_ms", m: benchGraph(N, C, heads, H, W, ratio, true, false), feeds: full},
		{name: "attn_N-r_ms", m: benchGraph(N, C, heads, H, W, ratio, true, false), feeds: short},
		{name: "tome_ms", m: benchGraph(N, C, heads, H, W, ratio, false, true), feeds: withRand},
		{name: "tome_attn_ms", m: benchGraph(N, C, heads, H, W, ratio, true, true), feeds: withRand},
	}
	for _, rn := range runs {
		raw, err := rn.m.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		if rn.s, err = ort.NewSessionFromBytes(raw, ort.SessionOptions{}); err != nil {
			b.Fatal(err)
		}
		defer rn.s.Close()
		if _, err := rn.s.Run(rn.feeds, nil); err != nil { // warm-up
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		for _, rn := range runs {
			t0 := time.Now()
			if _, err := rn.s.Run(rn.feeds, nil); err != nil {
				b.Fatal(err)
			}
			rn.total += time.Since(t0)
		}
	}
	ms := func(rn *run) float64 { return rn.total.Seconds() * 1e3 / float64(b.N) }
	for _, rn := range runs {
		b.ReportMetric(ms(rn), rn.name)
	}
	b.ReportMetric(ms(runs[2])/(ms(runs[0])-ms(runs[1])), "share")
	b.ReportMetric(0, "ns/op")
}
