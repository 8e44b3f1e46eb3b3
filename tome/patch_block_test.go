package tome

import (
	"math"
	"math/rand/v2"

	"github.com/tomebench/tomebench/internal/onnx"
)

// A testUNet is a one-block stand-in for a UNet, built in code so that tests can vary
// what real exports vary: opset 14 (LayerNorm decomposed into ReduceMean/Sub/Pow/…)
// or 17 (LayerNormalization), a 1×1-conv (SD 1.x) or linear (SD 2.x) proj_in, the
// head count. Its layout and node names follow torch.onnx.export of diffusers:
//
//	sample [B, Cin, H, W] ── proj_in ── x [B, N, C]
//	/down_blocks.0/attentions.0/transformer_blocks.0:
//	  x = attn1(norm1(x)) + x;  x = attn2(norm2(x), context) + x;  x = ff(norm3(x)) + x
//	── out [B, N, C]
//
// Token reshapes use 0 (copy) dims, so N stays dynamic as in real exports.
type testUNet struct {
	opset           int64
	linear          bool // proj_in is a MatMul on tokens (else a 1×1 Conv)
	H, W            int  // latent size
	Cin, C, heads   int
	ctxLen, ctxDim  int
	ff              int  // ff inner width
	fixedTokenShape bool // attn1 reshapes to a constant [B, N, heads, d] (a bad export)
	staticLatent    bool // the sample input states H and W
	shapeHints      bool // value_info states [B, N, C] for the block input and attn1's q

	w map[string][]float32 // weights by name
}

// weight returns the named weight, drawing it from rng on first use.
func (u *testUNet) weight(rng *rand.Rand, name string, n int, scale, shift float64) []float32 {
	if v, ok := u.w[name]; ok {
		return v
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(shift + scale*rng.NormFloat64())
	}
	u.w[name] = v
	return v
}

// build returns the model; weights are drawn from seed.
func (u *testUNet) build(seed uint64) *onnx.Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	u.w = map[string][]float32{}
	m := onnx.NewModel("test_unet", u.opset)
	g := m.Graph()
	hw := []int64{-1, -1}
	if u.staticLatent {
		hw = []int64{int64(u.H), int64(u.W)}
	}
	g.AddInput("sample", onnx.Float, []int64{-1, int64(u.Cin), hw[0], hw[1]}, "batch")
	g.AddInput("encoder_hidden_states", onnx.Float, []int64{-1, int64(u.ctxLen), int64(u.ctxDim)}, "batch")
	C, c64 := u.C, int64(u.C)
	lin := func(b *onnx.Builder, x, name string, in, out int) string { // x·Wᵀ + bias, weight [out, in]
		w := u.weight(rng, name+".weight", out*in, 1/math.Sqrt(float64(in)), 0)
		wt := make([]float32, in*out)
		for o := range out {
			for i := range in {
				wt[i*out+o] = w[o*in+i]
			}
		}
		y := b.MatMul(x, b.Floats([]int64{int64(in), int64(out)}, wt))
		return b.Add(b.Floats([]int64{int64(out)}, u.weight(rng, name+".bias", out, 0.1, 0)), y)
	}
	root := onnx.NewBuilder(g, u.opset)
	t := root.Scope("down_blocks.0").Scope("attentions.0")
	var x string
	if u.linear {
		tok := t.Reshape(t.Transpose("sample", 0, 2, 3, 1), 0, -1, int64(u.Cin))
		x = lin(t.Scope("proj_in"), tok, "proj_in", u.Cin, C)
	} else {
		pb := t.Scope("proj_in")
		w := u.weight(rng, "proj_in.weight", C*u.Cin, 1/math.Sqrt(float64(u.Cin)), 0)
		bias := u.weight(rng, "proj_in.bias", C, 0.1, 0)
		y := pb.Conv("sample", pb.Floats([]int64{c64, int64(u.Cin), 1, 1}, w), pb.Floats([]int64{c64}, bias), 1, 0, 1, 1)
		x = t.Reshape(t.Transpose(y, 0, 2, 3, 1), 0, -1, c64)
	}
	blk := t.Scope("transformer_blocks.0")
	norm := func(x, name string) string {
		b := blk.Scope(name)
		scale := b.Floats([]int64{c64}, u.weight(rng, name+".weight", C, 0.2, 1))
		bias := b.Floats([]int64{c64}, u.weight(rng, name+".bias", C, 0.2, 0))
		if u.opset >= 17 {
			return b.LayerNormalization(x, scale, bias, 1e-5)
		}
		mean := b.Reduce("ReduceMean", x, true, -1)
		d := b.Sub(x, mean)
		v := b.Reduce("ReduceMean", b.Pow(d, b.Scalar(2)), true, -1)
		return b.Add(b.Mul(b.Div(d, b.Unary("Sqrt", b.Add(v, b.Scalar(1e-5)))), scale), bias)
	}
	heads := int64(u.heads)
	d := c64 / heads
	attn := func(x, ctx, name string, ctxDim int) string {
		b := blk.Scope(name)
		wq := u.weight(rng, name+".to_q", C*C, 1/math.Sqrt(float64(C)), 0)
		wk := u.weight(rng, name+".to_k", C*ctxDim, 1/math.Sqrt(float64(ctxDim)), 0)
		wv := u.weight(rng, name+".to_v", C*ctxDim, 1/math.Sqrt(float64(ctxDim)), 0)
		proj := func(x string, w []float32, in int, sc string) string {
			wt := make([]float32, len(w))
			for o := range C {
				for i := range in {
					wt[i*C+o] = w[o*in+i]
				}
			}
			return b.Scope(sc).MatMul(x, b.Floats([]int64{int64(in), c64}, wt))
		}
		split := func(v string) string { return b.Transpose(b.Reshape(v, 0, 0, heads, d), 0, 2, 1, 3) } // [B, h, T, d]
		qp := proj(x, wq, C, "to_q")
		q := b.Reshape(qp, 0, 0, heads, d)
		if u.fixedTokenShape && name == "attn1" {
			q = b.Reshape(qp, 2, int64(u.H*u.W), heads, d)
		}
		if u.shapeHints && name == "attn1" {
			g.P.ValueInfo = append(g.P.ValueInfo, onnx.ValueInfo(qp, onnx.Float, []int64{-1, int64(u.H * u.W), c64}, "batch"),
				onnx.ValueInfo(x, onnx.Float, []int64{-1, int64(u.H * u.W), c64}, "batch"))
		}
		q = b.Transpose(q, 0, 2, 1, 3)
		k := b.Transpose(b.Reshape(proj(ctx, wk, ctxDim, "to_k"), 0, 0, heads, d), 0, 2, 3, 1) // [B, h, d, M]
		v := split(proj(ctx, wv, ctxDim, "to_v"))
		p := b.Softmax(b.Mul(b.MatMul(q, k), b.Scalar(float32(1/math.Sqrt(float64(d))))), -1)
		o := b.Reshape(b.Transpose(b.MatMul(p, v), 0, 2, 1, 3), 0, 0, c64)
		return lin(b.Scope("to_out.0"), o, name+".to_out", C, C)
	}
	h := norm(x, "norm1")
	x = blk.Add(attn(h, h, "attn1", C), x)
	h = norm(x, "norm2")
	x = blk.Add(attn(h, "encoder_hidden_states", "attn2", u.ctxDim), x)
	h = norm(x, "norm3")
	f := lin(blk.Scope("ff").Scope("net.0").Scope("proj"), h, "ff.net.0.proj", C, u.ff)
	f = lin(blk.Scope("ff").Scope("net.2"), blk.Scope("ff").Unary("Relu", f), "ff.net.2", u.ff, C)
	x = blk.Add(f, x)
	g.P.Output = append(g.P.Output, onnx.ValueInfo(x, onnx.Float, []int64{-1, -1, c64}))
	return m
}

// forward computes the block in Go (float64 sums) on sample [B, Cin, H, W] and
// context [B, ctxLen, ctxDim], with tomesd's merge/unmerge around the layers o
// selects, using the reference matching m (nil: unpatched).
func (u *testUNet) forward(sample, ctx []float32, B int, m *Matching, o Options) Tensor {
	x := u.tokens(sample, B)
	C := u.C
	ctxT := NewTensor(B, u.ctxLen, u.ctxDim, ctx)
	wrap := func(on bool, y Tensor, layer func(Tensor) Tensor) Tensor {
		if !on || m == nil {
			return layer(y)
		}
		return m.Unmerge(layer(m.Merge(y, Mean)))
	}
	add := func(a, b Tensor) Tensor {
		out := NewTensor(a.B, a.N, a.C, nil)
		for i := range out.Data {
			out.Data[i] = a.Data[i] + b.Data[i]
		}
		return out
	}
	x = add(wrap(o.MergeAttn, u.layerNorm(x, "norm1"), func(y Tensor) Tensor { return u.attention(y, y, "attn1") }), x)
	x = add(wrap(o.MergeCrossAttn, u.layerNorm(x, "norm2"), func(y Tensor) Tensor { return u.attention(y, ctxT, "attn2") }), x)
	x = add(wrap(o.MergeMLP, u.layerNorm(x, "norm3"), func(y Tensor) Tensor {
		h := u.dense(y, "ff.net.0.proj", u.ff)
		for i, v := range h.Data {
			h.Data[i] = max(v, 0)
		}
		return u.dense(h, "ff.net.2", C)
	}), x)
	return x
}

// tokens is proj_in: the block input x [B, N, C] for sample [B, Cin, H, W].
func (u *testUNet) tokens(sample []float32, B int) Tensor {
	N, C := u.H*u.W, u.C
	x := NewTensor(B, N, C, nil)
	w, bias := u.w["proj_in.weight"], u.w["proj_in.bias"]
	for b := range B {
		for n := range N {
			for c := range C {
				s := float64(bias[c])
				for i := range u.Cin {
					s += float64(w[c*u.Cin+i]) * float64(sample[(b*u.Cin+i)*N+n])
				}
				x.Row(b, n)[c] = float32(s)
			}
		}
	}
	return x
}

func (u *testUNet) layerNorm(x Tensor, name string) Tensor {
	out := NewTensor(x.B, x.N, x.C, nil)
	scale, bias := u.w[name+".weight"], u.w[name+".bias"]
	for b := range x.B {
		for n := range x.N {
			row, mean, vr := x.Row(b, n), 0.0, 0.0
			for _, v := range row {
				mean += float64(v)
			}
			mean /= float64(x.C)
			for _, v := range row {
				vr += (float64(v) - mean) * (float64(v) - mean)
			}
			sd := math.Sqrt(vr/float64(x.C) + 1e-5)
			for c, v := range row {
				out.Row(b, n)[c] = float32((float64(v)-mean)/sd*float64(scale[c]) + float64(bias[c]))
			}
		}
	}
	return out
}

// dense is x·Wᵀ + bias with W [out, x.C] (bias optional).
func (u *testUNet) dense(x Tensor, name string, out int) Tensor {
	w, bias := u.w[name+".weight"], u.w[name+".bias"]
	if w == nil {
		w = u.w[name]
	}
	y := NewTensor(x.B, x.N, out, nil)
	for b := range x.B {
		for n := range x.N {
			row := x.Row(b, n)
			for o := range out {
				s := 0.0
				if bias != nil {
					s = float64(bias[o])
				}
				for i, v := range row {
					s += float64(w[o*x.C+i]) * float64(v)
				}
				y.Row(b, n)[o] = float32(s)
			}
		}
	}
	return y
}

// attention is multi-head attention of x's queries over ctx, with to_out.
func (u *testUNet) attention(x, ctx Tensor, name string) Tensor {
	q, k, v := u.dense(x, name+".to_q", u.C), u.dense(ctx, name+".to_k", u.C), u.dense(ctx, name+".to_v", u.C)
	d := u.C / u.heads
	o := NewTensor(x.B, x.N, u.C, nil)
	p := make([]float64, ctx.N)
	for b := range x.B {
		for h := range u.heads {
			for i := range x.N {
				qi, top := q.Row(b, i)[h*d:(h+1)*d], math.Inf(-1)
				for j := range ctx.N {
					s := 0.0
					for c, kv := range k.Row(b, j)[h*d : (h+1)*d] {
						s += float64(qi[c]) * float64(kv)
					}
					p[j] = s / math.Sqrt(float64(d))
					top = max(top, p[j])
				}
				sum := 0.0
				for j := range p {
					p[j] = math.Exp(p[j] - top)
					sum += p[j]
				}
				for c := range d {
					s := 0.0
					for j := range ctx.N {
						s += p[j] * float64(v.Row(b, j)[h*d+c])
					}
					o.Row(b, i)[h*d+c] = float32(s / sum)
				}
			}
		}
	}
	return u.dense(o, name+".to_out", u.C)
}
