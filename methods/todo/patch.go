package todo

import (
	"errors"
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/methods"
	"github.com/tomebench/tomebench/tome"
)

// MethodName is the method's name in a patched model's metadata record.
const MethodName = "todo"

// A Report says what Patch found and did (or, from Inspect, would do).
type Report struct {
	// LatentH and LatentW are the latent size the blocks were planned for.
	LatentH, LatentW int
	// Blocks lists every transformer block found, in execution order.
	Blocks []BlockReport
	// Patched is the number of blocks whose keys and values are downsampled.
	Patched int
	// Warnings explain blocks left alone and anything else the user should know.
	Warnings []error
}

// A BlockReport describes one transformer block.
type BlockReport struct {
	// Scope is the block's node-name scope, Name its module path.
	Scope, Name string
	// N is the token count (0 when unknown), Downsample its depth d, H×W its grid.
	N, Downsample, H, W int
	// Factor is the factor used at this depth; NewH×NewW the key/value grid.
	Factor     float64
	NewH, NewW int
	// Patched says whether K/V are downsampled; Reason says why not.
	Patched bool
	Reason  string
}

// KVTokens is the number of key/value tokens after downsampling (N when not patched).
func (b BlockReport) KVTokens() int {
	if b.Patched {
		return b.NewH * b.NewW
	}
	return b.N
}

// A FindError reports an attn1 whose structure the rewrite does not recognise.
type FindError struct{ Scope, Problem string }

func (e *FindError) Error() string { return fmt.Sprintf("todo: block %s: %s", e.Scope, e.Problem) }

// Inspect reports which blocks Patch would downsample, without changing m.
func Inspect(m *onnx.Model, opts PatchOptions) (Report, error) {
	rep, _, _, err := plan(m, opts)
	return rep, err
}

// Patch inserts ToDo into the UNet m, in place: in every transformer block at depth
// d ≤ MaxDownsample whose factor is > 1, to_k and to_v of attn1 read
// Gather(norm1(x), KeptTokens, axis 1) instead of norm1(x). Nothing else changes
// (no opset raise; the sample input is restated when the latent differs from the one
// it states). With no block to patch m is left unchanged and the report says why.
// Structural surprises come back as *FindError (or tome's *FindError / *LatentError);
// m is then unchanged.
func Patch(m *onnx.Model, opts PatchOptions) (Report, error) {
	rep, sites, kv, err := plan(m, opts)
	if err != nil || rep.Patched == 0 {
		return rep, err
	}
	g := m.Graph()
	if sites.Restate {
		sites.RestateLatent(g)
	}
	var timestep string
	if opts.TimestepSwitch > 0 {
		if timestep, err = timestepInput(g); err != nil {
			return rep, err
		}
	}
	for i, br := range rep.Blocks {
		if !br.Patched {
			continue
		}
		tome.DropShapeHints(g, br.Scope, "attn1")
		st, _ := sites.Blocks[i].Stage("attn1")
		b := onnx.NewBuilder(g, m.Opset()).Scope(br.Scope[1:] + "/attn1/todo")
		kept := KeptTokens(br.H, br.W, br.NewH, br.NewW, opts.Interp)
		idx := b.Int64s(int64s(kept)...)
		if timestep != "" {
			idx = emitSwitch(b, timestep, opts.TimestepSwitch, idx, br.N)
		}
		y := b.Gather(st.NormOut, idx, 1) // [B, N', C]
		for _, r := range kv[i] {
			for j, in := range r.Input {
				if in == st.NormOut {
					r.Input[j] = y
				}
			}
		}
		g.Invalidate()
	}
	if err := g.TopoSort(); err != nil {
		return rep, fmt.Errorf("todo: patched graph: %w", err)
	}
	methods.SetRecord(m, MethodName, opts.Options, [2]int{rep.LatentH, rep.LatentW}, rep.Patched)
	return rep, nil
}

// plan finds the blocks and decides each; kv[i] are block i's to_k/to_v readers.
func plan(m *onnx.Model, opts PatchOptions) (Report, tome.Sites, [][]*onnxpb.NodeProto, error) {
	if err := opts.Validate(); err != nil {
		return Report{}, tome.Sites{}, nil, err
	}
	sites, err := tome.FindSites(m, opts.Latent)
	if err != nil {
		return Report{}, sites, nil, err
	}
	g := m.Graph()
	rep := Report{LatentH: sites.LatentH, LatentW: sites.LatentW, Warnings: sites.Warnings}
	kv := make([][]*onnxpb.NodeProto, len(sites.Blocks))
	for i, s := range sites.Blocks {
		br := BlockReport{Scope: s.Scope, Name: s.Name, N: s.N, Downsample: s.Downsample, H: s.H, W: s.W}
		br.Factor = opts.FactorAt(s.Downsample)
		switch {
		case s.N == 0:
			br.Reason = "token count unknown"
		case s.Downsample > opts.MaxDownsample || s.Downsample < 1:
			br.Reason = fmt.Sprintf("depth %d > max_downsample %d", s.Downsample, opts.MaxDownsample)
		case br.Factor <= 1:
			br.Reason = fmt.Sprintf("factor %g at depth %d", br.Factor, s.Downsample)
		case s.H*s.W != s.N:
			br.Reason = fmt.Sprintf("token grid %dx%d does not hold its N = %d tokens", s.H, s.W, s.N)
		}
		if br.Reason == "" {
			br.NewH, br.NewW = NewGrid(s.H, s.W, br.Factor)
			if br.NewH < 1 || br.NewW < 1 {
				br.Reason = fmt.Sprintf("grid %dx%d / %g is empty", s.H, s.W, br.Factor)
			}
		}
		if br.Reason == "" {
			if kv[i], err = keyValueReaders(m, g, s); err != nil {
				return rep, sites, nil, err
			}
			br.Patched = true
			rep.Patched++
		}
		rep.Blocks = append(rep.Blocks, br)
	}
	if rep.Patched == 0 && len(sites.Blocks) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Errorf("todo: no block patched (factor %g, max_downsample %d): the model is unchanged", opts.Factor, opts.MaxDownsample))
	}
	if rep.Patched > 0 && sites.Restate {
		rep.Warnings = append(rep.Warnings, &tome.FixedLatentWarning{H: sites.LatentH, W: sites.LatentW})
	}
	return rep, sites, kv, nil
}

// keyValueReaders returns the nodes of attn1 under to_k and to_v that read norm1's
// output, and checks that attn1 does not reshape to a fixed key length.
func keyValueReaders(m *onnx.Model, g *onnx.Graph, s tome.Site) ([]*onnxpb.NodeProto, error) {
	st, ok := s.Stage("attn1")
	if !ok {
		return nil, &FindError{s.Scope, "has no attn1"}
	}
	if len(g.InScope(s.Scope+"/attn1/todo")) > 0 {
		return nil, &FindError{s.Scope, "attn1 holds ToDo nodes already (the model is patched with ToDo)"}
	}
	var kv []*onnxpb.NodeProto
	var k, v bool
	for _, r := range st.Readers {
		switch {
		case onnx.InScope(r.Name, s.Scope+"/attn1/to_k"):
			k = true
		case onnx.InScope(r.Name, s.Scope+"/attn1/to_v"):
			v = true
		default:
			continue
		}
		kv = append(kv, r)
	}
	if !k || !v {
		return nil, &FindError{s.Scope, "attn1 has no to_k and to_v reading norm1's output (self-attention projections not found by scope)"}
	}
	for _, n := range g.InScope(s.Scope + "/attn1") {
		if n.OpType != "Reshape" && n.OpType != "Expand" {
			continue
		}
		if shape, ok := m.ConstInt64s(g, n.Input[1]); ok && len(shape) >= 2 && shape[1] == int64(s.N) {
			return nil, &FindError{s.Scope, fmt.Sprintf("%s %s has the fixed shape %v with N = %d tokens; export the model with dynamic shapes", n.OpType, n.Name, shape, s.N)}
		}
	}
	return kv, nil
}

// emitSwitch returns If(t/1000 > s, kept, arange(N)): downsampling only above the
// timestep switch.
func emitSwitch(b *onnx.Builder, timestep string, s float64, kept string, N int) string {
	t := b.Reduce("ReduceMax", b.Reshape(b.Cast(timestep, onnx.Float), -1), false, 0)
	cond := b.Op("Greater", []string{b.Div(t, b.Scalar(1000)), b.Scalar(float32(s))})
	all := make([]int64, N)
	for i := range all {
		all[i] = int64(i)
	}
	branch := func(name, from string, vals []int64) *onnxpb.AttributeProto {
		out := b.G.FreshName(b.ScopeName() + "/" + name + "_output")
		var node *onnxpb.NodeProto
		if from != "" {
			node = &onnxpb.NodeProto{Name: b.G.FreshName(b.ScopeName() + "/" + name), OpType: "Identity", Input: []string{from}, Output: []string{out}}
		} else {
			node = &onnxpb.NodeProto{Name: b.G.FreshName(b.ScopeName() + "/" + name), OpType: "Constant", Output: []string{out},
				Attribute: []*onnxpb.AttributeProto{onnx.ATensor("value", onnx.TensorInt64("", []int64{int64(len(vals))}, vals))}}
		}
		sub := &onnxpb.GraphProto{Name: name, Node: []*onnxpb.NodeProto{node},
			Output: []*onnxpb.ValueInfoProto{onnx.ValueInfo(out, onnx.Int64, []int64{-1})}}
		return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_GRAPH, G: sub}
	}
	return b.Op("If", []string{cond}, branch("then_branch", kept, nil), branch("else_branch", "", all))
}

// timestepInput returns the UNet's timestep input.
func timestepInput(g *onnx.Graph) (string, error) {
	for _, name := range []string{"timestep", "timesteps", "t"} {
		if g.Input(name) != nil {
			return name, nil
		}
	}
	return "", errors.New("todo: the timestep switch needs the UNet's timestep input (named timestep, timesteps or t); none found")
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
