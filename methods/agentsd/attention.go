package agentsd

import (
	"fmt"
	"math"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/tome"
)

// An attnSite is attn1 of one block as the agent rewrite sees it:
//
//	X ─┬─ to_q ── q ─┐
//	   ├─ to_k ── k ─┼─ (core: heads, softmax(q kᵀ s) v, merge heads) ── core ── to_out ── out
//	   └─ to_v ── v ─┘
//
// The rewrite keeps the projections and to_out, replaces the core by agent attention
// and leaves the old core for Cleanup.
type attnSite struct {
	q, k, v string              // projection outputs [B, T, C]
	wq      string              // to_q's weight (a MatMul initializer), for a = A Wq
	core    string              // the value to_out reads
	toOut   []*onnxpb.NodeProto // to_out's nodes reading core
	heads   int
	dim     int // C = heads · d
}

// findAttn locates attn1's projections, head count and to_out input.
func findAttn(m *onnx.Model, g *onnx.Graph, s tome.Site) (attnSite, error) {
	fail := func(format string, a ...any) (attnSite, error) {
		return attnSite{}, &FindError{s.Scope, fmt.Sprintf(format, a...)}
	}
	st, ok := s.Stage("attn1")
	if !ok {
		return fail("has no attn1")
	}
	var a attnSite
	for _, r := range st.Readers {
		var dst *string
		switch {
		case onnx.InScope(r.Name, s.Scope+"/attn1/to_q"):
			dst = &a.q
			if r.OpType != "MatMul" || len(r.Input) != 2 || g.Initializer(r.Input[1]) == nil {
				return fail("attn1/to_q is %s %s, want a MatMul with a weight initializer", r.OpType, r.Name)
			}
			w := g.Initializer(r.Input[1])
			if len(w.Dims) != 2 {
				return fail("to_q weight %s has dims %v", w.Name, w.Dims)
			}
			a.wq, a.dim = r.Input[1], int(w.Dims[1])
		case onnx.InScope(r.Name, s.Scope+"/attn1/to_k"):
			dst = &a.k
		case onnx.InScope(r.Name, s.Scope+"/attn1/to_v"):
			dst = &a.v
		default:
			return fail("norm1's output is read by %s, not to_q/to_k/to_v", r.Name)
		}
		if r.OpType != "MatMul" || len(r.Output) != 1 {
			return fail("%s is %s, want MatMul (projections without bias)", r.Name, r.OpType)
		}
		*dst = r.Output[0]
	}
	if a.q == "" || a.k == "" || a.v == "" {
		return fail("attn1 has no to_q, to_k and to_v reading norm1's output")
	}
	// Heads: the Reshape that splits q into [B, T, heads, d].
	for _, c := range g.Consumers(a.q) {
		if c.OpType != "Reshape" {
			continue
		}
		if shape, ok := m.ConstInt64s(g, c.Input[1]); ok && len(shape) == 4 {
			a.heads = int(shape[2])
		} else if p := g.Producer(c.Input[1]); p != nil && p.OpType == "Concat" && len(p.Input) == 4 {
			if v, ok := m.ConstInt64s(g, p.Input[2]); ok && len(v) == 1 {
				a.heads = int(v[0])
			}
		}
	}
	if a.heads <= 0 || a.dim%a.heads != 0 {
		return fail("cannot read attn1's head count from the Reshape of to_q's output (found %d for %d channels)", a.heads, a.dim)
	}
	// to_out: the nodes under attn1/to_out reading one value computed in attn1.
	outNodes := g.InScope(s.Scope + "/attn1/to_out.0")
	inside := map[string]bool{}
	for _, n := range outNodes {
		for _, o := range n.Output {
			inside[o] = true
		}
	}
	for _, n := range outNodes {
		for _, in := range n.Input {
			if in == "" || inside[in] || g.Initializer(in) != nil {
				continue
			}
			if p := g.Producer(in); p != nil && p.OpType == "Constant" {
				continue
			}
			if a.core != "" && a.core != in {
				return fail("attn1/to_out.0 reads %s and %s, want one value", a.core, in)
			}
			a.core = in
			a.toOut = append(a.toOut, n)
		}
	}
	if a.core == "" {
		return fail("attn1 has no to_out.0")
	}
	return a, nil
}

// emitAgentAttention adds agent attention on at's projections with agents A
// [B, n_a, C] and returns its output [B, T, C] (heads merged, before to_out), per
// head:
//
//	V_a = softmax(a kᵀ·s) v,  O = softmax(q aᵀ·s^k2) V_a + k_shortcut·v
func emitAgentAttention(b *onnx.Builder, at attnSite, agents string, o Options) string {
	h, d := int64(at.heads), int64(at.dim/at.heads)
	scalar := func(v float64) string { return b.Op("CastLike", []string{b.Scalar(float32(v)), at.q}) }
	heads := func(t string, perm ...int64) string { return b.Transpose(b.Reshape(t, 0, 0, h, d), perm...) }
	s := math.Pow(float64(d), -0.5)
	q := heads(at.q, 0, 2, 1, 3)                                                // [B, h, T, d]
	kT := heads(at.k, 0, 2, 3, 1)                                               // [B, h, d, T]
	v := heads(at.v, 0, 2, 1, 3)                                                // [B, h, T, d]
	aw := b.MatMul(agents, at.wq)                                               // [B, n_a, C]
	a := heads(aw, 0, 2, 1, 3)                                                  // [B, h, n_a, d]
	aT := heads(aw, 0, 2, 3, 1)                                                 // [B, h, d, n_a]
	p1 := b.Softmax(b.Mul(b.MatMul(a, kT), scalar(s)), -1)                      // [B, h, n_a, T]
	va := b.MatMul(p1, v)                                                       // [B, h, n_a, d]
	p2 := b.Softmax(b.Mul(b.MatMul(q, aT), scalar(math.Pow(s, o.KScale2))), -1) // [B, h, T, n_a]
	out := b.Add(b.MatMul(p2, va), b.Mul(v, scalar(o.KShortcut)))               // [B, h, T, d]
	return b.Reshape(b.Transpose(out, 0, 2, 1, 3), 0, 0, h*d)                   // [B, T, C]
}

// replaceCore makes to_out read out instead of the old attention core.
func replaceCore(g *onnx.Graph, at attnSite, out string) {
	for _, n := range at.toOut {
		for i, in := range n.Input {
			if in == at.core {
				n.Input[i] = out
			}
		}
	}
	g.Invalidate()
}
