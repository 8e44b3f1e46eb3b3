package onnx_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// runModel runs a model saved at path on one float32 input and returns output 0.
func runModel(t *testing.T, path string, feeds map[string]*ort.Tensor) []float32 {
	t.Helper()
	s, err := ort.NewSession(path, ort.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := s.Outputs()[0].Name
	res, err := s.Run(feeds, []string{out})
	if err != nil {
		t.Fatal(err)
	}
	return res[out].F32
}

func randn(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// TestBuilderAttention builds scaled-dot-product attention softmax(Q·Kᵀ/√d)·V for
// q, k, v [B, H, N, D] and checks ONNX Runtime's result against plain Go loops.
func TestBuilderAttention(t *testing.T) {
	orttest.Require(t)
	const B, H, N, M, D = 2, 3, 5, 7, 4
	for _, opset := range []int64{14, 17, 18} {
		m := onnx.NewModel("sdpa", opset)
		g := m.Graph()
		g.AddInput("q", onnx.Float, []int64{B, H, N, D})
		g.AddInput("k", onnx.Float, []int64{B, H, M, D})
		g.AddInput("v", onnx.Float, []int64{B, H, M, D})
		b := onnx.NewBuilder(g, opset).Scope("attn")
		scores := b.Div(b.MatMul("q", b.Transpose("k", 0, 1, 3, 2)), b.Scalar(float32(math.Sqrt(D))))
		// Subtract the row max (opset-dependent ReduceMax form) before Softmax: a no-op
		// mathematically, and it exercises Reduce.
		scores = b.Sub(scores, b.Reduce("ReduceMax", scores, true, -1))
		out := b.MatMul(b.Softmax(scores, -1), "v")
		g.P.Output = append(g.P.Output, onnx.ValueInfo(out, onnx.Float, []int64{B, H, N, D}))
		path := filepath.Join(t.TempDir(), "sdpa.onnx")
		if err := m.Save(path, onnx.SaveOptions{}); err != nil {
			t.Fatal(err)
		}

		rng := rand.New(rand.NewPCG(7, uint64(opset)))
		q, k, v := randn(rng, B*H*N*D), randn(rng, B*H*M*D), randn(rng, B*H*M*D)
		got := runModel(t, path, map[string]*ort.Tensor{
			"q": ort.NewFloat32([]int64{B, H, N, D}, q),
			"k": ort.NewFloat32([]int64{B, H, M, D}, k),
			"v": ort.NewFloat32([]int64{B, H, M, D}, v),
		})

		maxDiff := 0.0
		for bh := 0; bh < B*H; bh++ {
			for i := 0; i < N; i++ {
				w := make([]float64, M)
				sum, mx := 0.0, math.Inf(-1)
				for j := 0; j < M; j++ {
					for c := 0; c < D; c++ {
						w[j] += float64(q[(bh*N+i)*D+c]) * float64(k[(bh*M+j)*D+c])
					}
					w[j] /= math.Sqrt(D)
					mx = math.Max(mx, w[j])
				}
				for j := range w {
					w[j] = math.Exp(w[j] - mx)
					sum += w[j]
				}
				for c := 0; c < D; c++ {
					want := 0.0
					for j := 0; j < M; j++ {
						want += w[j] / sum * float64(v[(bh*M+j)*D+c])
					}
					maxDiff = math.Max(maxDiff, math.Abs(want-float64(got[(bh*N+i)*D+c])))
				}
			}
		}
		// float32 arithmetic on O(1) values: 1e-5 is ample.
		if maxDiff > 1e-5 {
			t.Errorf("opset %d: max abs diff %g from the Go computation", opset, maxDiff)
		}
	}
}

// TestExternalDataRun saves a model with 4 MiB of external weights, edits a node, saves
// the edit beside the original weights and checks that both run with identical outputs.
func TestExternalDataRun(t *testing.T) {
	orttest.Require(t)
	const K, N = 1024, 1024
	m := onnx.NewModel("ext", 17)
	g := m.Graph()
	g.AddInput("x", onnx.Float, []int64{1, K})
	rng := rand.New(rand.NewPCG(3, 4))
	b := onnx.NewBuilder(g, 17).Scope("lin")
	w := b.Named(onnx.TensorFloat32("W", []int64{K, N}, randn(rng, K*N)))
	y := b.MatMul("x", w)
	g.P.Output = append(g.P.Output, onnx.ValueInfo(y, onnx.Float, []int64{1, N}))
	dir := t.TempDir()
	orig := filepath.Join(dir, "model.onnx")
	if err := m.Save(orig, onnx.SaveOptions{ExternalData: "weights.pb"}); err != nil {
		t.Fatal(err)
	}

	loaded, err := onnx.Load(orig)
	if err != nil {
		t.Fatal(err)
	}
	lg := loaded.Graph()
	// The edit: y = MatMul(x, W) becomes y = Identity(MatMul(x, W)) under a new name.
	mm := lg.ByOp("MatMul")[0]
	mid := lg.FreshName(mm.Output[0] + "_pre")
	old := mm.Output[0]
	mm.Output[0] = mid
	lg.Invalidate()
	onnx.NewBuilder(lg, 17).Scope("edit").Unary("Identity", mid)
	id := lg.ByOp("Identity")[0]
	id.Output[0] = old
	lg.Invalidate()
	edited := filepath.Join(dir, "edited.onnx")
	if err := loaded.Save(edited, onnx.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := loaded.ExternalFiles(); len(got) != 1 || got[0] != "weights.pb" {
		t.Fatalf("edited model refers to %v, want weights.pb", got)
	}

	x := ort.NewFloat32([]int64{1, K}, randn(rng, K))
	a := runModel(t, orig, map[string]*ort.Tensor{"x": x})
	c := runModel(t, edited, map[string]*ort.Tensor{"x": x})
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("output %d: %g before the edit, %g after", i, a[i], c[i])
		}
	}
}
