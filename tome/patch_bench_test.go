package tome

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// benchGraph builds a graph on x [B, T, C] (T dynamic) holding, as asked:
// attention (SD's self-attention: to_q/k/v, heads of C/heads channels, softmax,
// to_out), ToMe (matching + merge + unmerge with a random partition, no layer in
// between) or both (merge → attention at N-r tokens → unmerge).
func benchGraph(N, C, heads, H, W int, ratio float64, attention, tome bool) *onnx.Model {
	const opset = 17
	m := onnx.NewModel("bench", opset)
	g := m.Graph()
	g.AddInput("x", onnx.Float, []int64{-1, -1, int64(C)}, "batch", "tokens")
	b := onnx.NewBuilder(g, opset)
	rng := rand.New(rand.NewPCG(1, 2))
	weight := func() string {
		w := make([]float32, C*C)
		for i := range w {
			w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(C)))
		}
		return b.Floats([]int64{int64(C), int64(C)}, w)
	}
	y := "x"
	var mv matchingValues
	if tome {
		Nd := (H / 2) * (W / 2)
		rand := "tome_rand_idx_0"
		g.AddInput(rand, onnx.Int64, []int64{int64(H / 2), int64(W / 2)})
		aIdx, bIdx := emitPartitionRand(b, "x", rand, H, W, 2, 2)
		mv = emitMatching(b, "x", aIdx, bIdx, N, N-Nd, Nd, NumMerged(N, ratio, N-Nd))
		y = emitMerge(b, mv, y)
	}
	if attention {
		d := int64(C / heads)
		split := func(v string, perm ...int64) string { return b.Transpose(b.Reshape(v, 0, 0, int64(heads), d), perm...) }
		q := split(b.MatMul(y, weight()), 0, 2, 1, 3)
		k := split(b.MatMul(y, weight()), 0, 2, 3, 1)
		v := split(b.MatMul(y, weight()), 0, 2, 1, 3)
		p := b.Softmax(b.Mul(b.MatMul(q, k), b.Scalar(float32(1/math.Sqrt(float64(d))))), -1)
		y = b.MatMul(b.Reshape(b.Transpose(b.MatMul(p, v), 0, 2, 1, 3), 0, 0, int64(C)), weight())
	}
	if tome {
		y = emitUnmerge(b, mv, y)
	}
	g.P.Output = append(g.P.Output, onnx.ValueInfo(y, onnx.Float, []int64{-1, -1, int64(C)}))
	return m
}

// BenchmarkToMeOverhead measures, at SD 1.5's full-resolution self-attention
// (N = 4096 = 64×64 tokens, C = 320, 8 heads, batch 2, ratio 0.5), the time of
// ToMe's own ops (matching, merge, unmerge) as a share of the attention time that
// merging saves: share = tome / (attention(N) − attention(N−r)). It also reports
// the whole patched attention (merge → attention(N−r) → unmerge).
func BenchmarkToMeOverhead(b *testing.B) { benchToMeBlock(b, 320, 8) }

// benchToMeBlock runs the four graphs of a ToMe block benchmark at a 64×64 token grid
// (N = 4096), C channels in heads heads, batch 2, ratio 0.5: self-attention at N and
// N−r tokens, ToMe's own ops, and the patched attention, in turn in every iteration
// so that they see the same machine load; it reports each one's milliseconds and
// ToMe's share of the time merging saves.
func benchToMeBlock(b *testing.B, C, heads int) {
	orttest.Require(b)
	const N, H, W, B, ratio = 4096, 64, 64, 2, 0.5
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
	full := map[string]*ort.Tensor{"x": ort.NewFloat32([]int64{B, N, int64(C)}, x)}
	short := map[string]*ort.Tensor{"x": ort.NewFloat32([]int64{B, int64(N - r), int64(C)}, x[:B*(N-r)*C])}
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
