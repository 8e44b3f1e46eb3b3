package tome

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// A graphBlock is one transformer block (diffusers' BasicTransformerBlock) found in
// an exported graph, described by the values at its boundaries:
//
//	x ─┬─ norm1 ── attn1 ──┐
//	   └──────────────── Add ─┬─ norm2 ── attn2 ──┐
//	                          └──────────────── Add ─┬─ norm3 ── ff ──┐
//	                                                 └──────────── Add ── out
type graphBlock struct {
	Scope  string // "/down_blocks.0/attentions.0/transformer_blocks.0"
	Input  string // x, the block input: the matching's metric
	Layers []graphLayer
}

// A graphLayer is one norm → layer → residual Add stage of a block.
type graphLayer struct {
	Kind    string // "attn1", "attn2" or "ff"
	In      string // the residual stream before the stage (the norm's input)
	NormOut string // the norm's output, which the layer reads (merge goes here)
	Readers []*onnxpb.NodeProto
	Out     string // the layer's output, which the residual Add reads (unmerge goes here)
	Add     *onnxpb.NodeProto
}

// blockScopeRE matches the scope of a transformer block inside a node name.
var blockScopeRE = regexp.MustCompile(`^(/(?:[^/]+/)*?transformer_blocks\.\d+)/`)

// blockStages lists a block's stages in execution order: layer and norm scope names.
var blockStages = []struct{ kind, norm string }{{"attn1", "norm1"}, {"attn2", "norm2"}, {"ff", "norm3"}}

// A FindError reports a transformer block whose structure Patch does not recognise.
type FindError struct {
	Scope   string
	Problem string
}

// Error names the block and what was not as expected.
func (e *FindError) Error() string {
	return fmt.Sprintf("tome: transformer block %s: %s", e.Scope, e.Problem)
}

// findBlocks returns the graph's transformer blocks in stored (execution) order.
// Blocks are found by scope names and then checked by structure: each stage's norm
// reads the residual stream, its layer reads only the norm's output and feeds one Add
// that also reads the residual stream. attn2 may be absent; attn1 and ff may not.
func findBlocks(g *onnx.Graph) ([]graphBlock, error) {
	var scopes []string
	seen := map[string]bool{}
	for _, n := range g.Nodes() {
		if m := blockScopeRE.FindStringSubmatch(n.Name); m != nil && !seen[m[1]] {
			seen[m[1]] = true
			scopes = append(scopes, m[1])
		}
	}
	consts := constantValues(g)
	var blocks []graphBlock
	for _, s := range scopes {
		if len(g.InScope(s+"/tome")) > 0 {
			return nil, &FindError{s, "already holds ToMe nodes (the model is patched already)"}
		}
		b := graphBlock{Scope: s}
		in := ""
		for _, st := range blockStages {
			l, ok, err := findStage(g, consts, s, st.kind, st.norm)
			if err != nil {
				return nil, err
			}
			if !ok {
				if st.kind == "attn2" {
					continue
				}
				return nil, &FindError{s, fmt.Sprintf("has no %s/%s", st.norm, st.kind)}
			}
			if in != "" && l.In != in {
				return nil, &FindError{s, fmt.Sprintf("%s reads %q, not the previous stage's residual sum %q", st.norm, l.In, in)}
			}
			in = l.Add.Output[0]
			b.Layers = append(b.Layers, l)
		}
		b.Input = b.Layers[0].In
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// findStage locates one norm → layer → Add stage of the block at scope.
func findStage(g *onnx.Graph, consts map[string]bool, scope, kind, norm string) (graphLayer, bool, error) {
	normNodes, layerNodes := g.InScope(scope+"/"+norm), g.InScope(scope+"/"+kind)
	if len(normNodes) == 0 && len(layerNodes) == 0 {
		return graphLayer{}, false, nil
	}
	fail := func(format string, a ...any) (graphLayer, bool, error) {
		return graphLayer{}, false, &FindError{scope, fmt.Sprintf(format, a...)}
	}
	if len(normNodes) == 0 || len(layerNodes) == 0 {
		return fail("has %s without %s", kind, norm)
	}
	ins := externalInputs(g, consts, normNodes)
	if len(ins) != 1 {
		return fail("%s reads %d values from outside (%v), want 1", norm, len(ins), ins)
	}
	outs := leavingValues(g, normNodes)
	if len(outs) != 1 {
		return fail("%s has %d outputs read outside it (%v), want 1", norm, len(outs), outs)
	}
	l := graphLayer{Kind: kind, In: ins[0], NormOut: outs[0]}
	for _, r := range g.Consumers(l.NormOut) {
		if !onnx.InScope(r.Name, scope+"/"+kind) {
			return fail("%s's output %q is read by %s outside %s", norm, l.NormOut, r.Name, kind)
		}
		l.Readers = append(l.Readers, r)
	}
	louts := leavingValues(g, layerNodes)
	if len(louts) != 1 {
		return fail("%s has %d outputs read outside it (%v), want 1", kind, len(louts), louts)
	}
	l.Out = louts[0]
	readers := g.Consumers(l.Out)
	if len(readers) != 1 || readers[0].OpType != "Add" || g.IsGraphOutput(l.Out) {
		return fail("%s's output %q does not feed exactly one residual Add", kind, l.Out)
	}
	l.Add = readers[0]
	if a := l.Add.Input; len(a) != 2 || !(a[0] == l.Out && a[1] == l.In || a[1] == l.Out && a[0] == l.In) {
		return fail("residual Add %s adds %v, want %s's output and %s's input %q", l.Add.Name, a, kind, norm, l.In)
	}
	return l, true, nil
}

// externalInputs returns the values nodes read that none of them produces, leaving
// out initializers and Constant outputs.
func externalInputs(g *onnx.Graph, consts map[string]bool, nodes []*onnxpb.NodeProto) []string {
	inside := map[string]bool{}
	for _, n := range nodes {
		for _, o := range n.Output {
			inside[o] = true
		}
	}
	var out []string
	for _, n := range nodes {
		for _, in := range n.Input {
			if in == "" || inside[in] || consts[in] || g.Initializer(in) != nil || containsString(out, in) {
				continue
			}
			out = append(out, in)
		}
	}
	return out
}

// leavingValues returns the values produced by nodes that other nodes (or the graph
// outputs) read.
func leavingValues(g *onnx.Graph, nodes []*onnxpb.NodeProto) []string {
	mine := map[*onnxpb.NodeProto]bool{}
	for _, n := range nodes {
		mine[n] = true
	}
	var out []string
	for _, n := range nodes {
		for _, o := range n.Output {
			if o == "" {
				continue
			}
			leaves := g.IsGraphOutput(o)
			for _, c := range g.Consumers(o) {
				leaves = leaves || !mine[c]
			}
			if leaves {
				out = append(out, o)
			}
		}
	}
	return out
}

// constantValues returns the outputs of Constant nodes.
func constantValues(g *onnx.Graph) map[string]bool {
	c := map[string]bool{}
	for _, n := range g.ByOp("Constant") {
		c[n.Output[0]] = true
	}
	return c
}

// blockName turns a scope into the module path tomesd's manifest uses:
// "/down_blocks.0/attentions.0/transformer_blocks.0" → "down_blocks.0.attentions.0.transformer_blocks.0".
func blockName(scope string) string {
	return strings.ReplaceAll(strings.TrimPrefix(scope, "/"), "/", ".")
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
