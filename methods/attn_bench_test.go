package methods_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/methods/todo"
	"github.com/tomebench/tomebench/tome"
)

// attnGraph builds SD 1.5's self-attention at full resolution on x [B, N, C]
// (to_q/k/v, softmax(QKᵀ/√d)V over heads, to_out) as rewritten by a method:
// "attn" plain; "tome" merge → attention at N−r → unmerge (tome's emitters, random
// partition input); "todo_fF" keys/values from the kept tokens of an F-times
// downsampled grid (todo.KeptTokens).
func attnGraph(kind string, N, C, heads, H, W int) *onnx.Model {
	const opset = 17
	m := onnx.NewModel(kind, opset)
	g := m.Graph()
	g.AddInput("x", onnx.Float, []int64{-1, int64(N), int64(C)}, "batch")
	b := onnx.NewBuilder(g, opset)
	rng := rand.New(rand.NewPCG(1, 2))
	weight := func() string {
		w := make([]float32, C*C)
		for i := range w {
			w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(C)))
		}
		return b.Floats([]int64{int64(C), int64(C)}, w)
	}
	y, kv := "x", "x"
	var mt tome.GraphMatching
	switch {
	case kind == "tome":
		g.AddInput("tome_rand_idx_0", onnx.Int64, []int64{int64(H / 2), int64(W / 2)})
		aIdx, bIdx := tome.EmitPartition(b, "x", "tome_rand_idx_0", H, W, 2, 2)
		Nd := (H / 2) * (W / 2)
		mt = tome.EmitMatching(b, "x", aIdx, bIdx, N, Nd, tome.NumMerged(N, 0.5, N-Nd))
		y = mt.Merge(b, "x")
		kv = y
	case kind != "attn":
		f, _ := strconv.ParseFloat(kind[len("todo_f"):], 64)
		nh, nw := todo.NewGrid(H, W, f)
		kept := todo.KeptTokens(H, W, nh, nw, todo.NearestExact)
		idx := make([]int64, len(kept))
		for i, t := range kept {
			idx[i] = int64(t)
		}
		kv = b.Gather("x", b.Int64s(idx...), 1)
	}
	d := int64(C / heads)
	split := func(v string, perm ...int64) string { return b.Transpose(b.Reshape(v, 0, 0, int64(heads), d), perm...) }
	q := split(b.MatMul(y, weight()), 0, 2, 1, 3)
	k := split(b.MatMul(kv, weight()), 0, 2, 3, 1)
	v := split(b.MatMul(kv, weight()), 0, 2, 1, 3)
	p := b.Softmax(b.Mul(b.MatMul(q, k), b.Scalar(float32(1/math.Sqrt(float64(d))))), -1)
	out := b.MatMul(b.Reshape(b.Transpose(b.MatMul(p, v), 0, 2, 1, 3), 0, 0, int64(C)), weight())
	if kind == "tome" {
		out = mt.Unmerge(b, out)
	}
	g.P.Output = append(g.P.Output, onnx.ValueInfo(out, onnx.Float, []int64{-1, int64(N), int64(C)}))
	return m
}

// BenchmarkSelfAttentionSD15 times one full-resolution self-attention of SD 1.5 at
// 512² (N = 4096 = 64×64 tokens, C = 320, 8 heads of 40, batch 2) as each method
// rewrites it: plain, ToMe (ratio 0.5, including its matching, merge and unmerge),
// ToDo factor 2 and 3. All graphs run in turn in every iteration, so they share the
// machine's load; the figure per graph is the median over iterations and the speed-up
// is plain / method. This is the part of the UNet each method changes (5 such blocks
// in SD 1.5). Run it as
//
//	go test ./methods -run '^$' -bench SelfAttentionSD15 -benchtime 1x
//
// with TOMEBENCH_ATTN_ROUNDS rounds (default 15).
func BenchmarkSelfAttentionSD15(b *testing.B) {
	orttest.Require(b)
	const N, C, heads, H, W, B = 4096, 320, 8, 64, 64, 2
	rounds := 15
	if s := os.Getenv("TOMEBENCH_ATTN_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, B*N*C)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	part := tome.NewPartitioner(5, true)
	type run struct {
		name  string
		s     *ort.Session
		times []float64
	}
	var runs []*run
	for _, kind := range []string{"attn", "tome", "todo_f2", "todo_f3"} {
		s := orttest.NewSession(b, attnGraph(kind, N, C, heads, H, W), ort.SessionOptions{})
		defer s.Close()
		runs = append(runs, &run{name: kind, s: s})
	}
	call := func(r *run) time.Duration {
		feeds := map[string]*ort.Tensor{"x": ort.NewFloat32([]int64{B, N, C}, x)}
		if r.name == "tome" {
			feeds["tome_rand_idx_0"] = ort.NewInt64([]int64{H / 2, W / 2}, part.Draw(H, W, 2, 2))
		}
		start := time.Now()
		if _, err := r.s.Run(feeds, nil); err != nil {
			b.Fatalf("%s: %v", r.name, err)
		}
		return time.Since(start)
	}
	for _, r := range runs {
		call(r) // warm-up
	}
	b.ResetTimer()
	for range b.N * rounds {
		for _, r := range runs {
			r.times = append(r.times, call(r).Seconds())
		}
	}
	b.StopTimer()
	base := median(runs[0].times)
	fmt.Printf("SD 1.5 self-attention at 64×64 (N %d, C %d, %d heads, batch %d), %d rounds (median, min, max in ms):\n", N, C, heads, B, b.N*rounds)
	for _, r := range runs {
		med := median(r.times)
		b.ReportMetric(med*1e3, "ms_"+r.name)
		b.ReportMetric(base/med, "x_"+r.name)
		s := slicesSorted(r.times)
		fmt.Printf("  %-8s %8.1f  %8.1f  %8.1f   speed-up %.2fx\n", r.name, med*1e3, s[0]*1e3, s[len(s)-1]*1e3, base/med)
	}
}
