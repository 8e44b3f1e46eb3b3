package tome

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// Sites and the emitters below export the pieces of Patch that sibling methods
// (methods/todo, methods/agentsd) rewrite UNets with: the transformer blocks found by
// scope and structure with their token counts, and tomesd's partition, matching, merge
// and unmerge as ONNX ops. Patch itself does not use these wrappers; they call the same
// internal functions, so a method built on them finds the blocks Patch finds.

// A Site is one transformer block of an ONNX UNet, located for a graph rewrite.
type Site struct {
	// Scope is the node-name scope ("/down_blocks.0/attentions.0/transformer_blocks.0"),
	// Name the module path ("down_blocks.0.attentions.0.transformer_blocks.0").
	Scope, Name string
	// Input is the block input x [B, N, C] (before norm1).
	Input string
	// N is the token count (0 when unknown), Downsample tomesd's
	// ceil(sqrt(H*W // N)), H and W the token grid ceil(latent/Downsample).
	N, Downsample, H, W int
	// Stages are norm → layer → residual Add stages in order (attn1, attn2, ff).
	Stages []Stage
}

// A Stage is one norm → layer → residual Add stage of a block.
type Stage struct {
	Kind    string              // "attn1", "attn2" or "ff"
	In      string              // the residual stream before the stage
	NormOut string              // the norm's output, which the layer reads
	Readers []*onnxpb.NodeProto // the layer's nodes that read NormOut
	Out     string              // the layer's output, read by the residual Add
	Add     *onnxpb.NodeProto   // the residual Add
}

// Stage returns the block's stage of the given kind.
func (s Site) Stage(kind string) (Stage, bool) {
	for _, st := range s.Stages {
		if st.Kind == kind {
			return st, true
		}
	}
	return Stage{}, false
}

// Sites are the transformer blocks of a UNet planned for one latent size.
type Sites struct {
	// LatentH and LatentW are the latent size; Restate says whether the sample
	// input states another (or a dynamic) size, which the rewrite must restate
	// ([Sites.RestateLatent]) since its constants are planned for this size.
	LatentH, LatentW int
	Restate          bool
	Blocks           []Site
	// Warnings: no blocks, blocks whose token count is unknown.
	Warnings []error
}

// FindSites finds the transformer blocks of m as Patch does (scope names checked by
// structure) and works out each block's token count for the latent size (zero: the
// sample input's static size). It changes nothing. Errors are *FindError and
// *LatentError.
func FindSites(m *onnx.Model, latent [2]int) (Sites, error) {
	g := m.Graph()
	blocks, err := findBlocks(g)
	if err != nil {
		return Sites{}, err
	}
	H, W, restate, err := resolveLatent(g, latent)
	if err != nil {
		return Sites{}, err
	}
	s := Sites{LatentH: H, LatentW: W, Restate: restate}
	if len(blocks) == 0 {
		s.Warnings = append(s.Warnings, fmt.Errorf("%w: no node is named under a .../transformer_blocks.K/ scope", ErrNoBlocks))
		return s, nil
	}
	levels := newUNetLevels(g)
	for _, blk := range blocks {
		site := Site{Scope: blk.Scope, Name: blockName(blk.Scope), Input: blk.Input}
		for _, l := range blk.Layers {
			site.Stages = append(site.Stages, Stage(l))
		}
		if d, ok := g.Shape(blk.Input); !restate && ok && len(d) == 3 && d[1].Value > 0 {
			site.N = int(d[1].Value)
		} else if lv, ok := levels.level(blk.Scope); ok {
			h, w := levelSize(H, W, lv)
			site.N = h * w
		} else {
			s.Warnings = append(s.Warnings, fmt.Errorf("tome: block %s: %s", site.Name, reasonUnknownN))
		}
		if site.N > 0 {
			site.Downsample = Downsample(H, W, site.N)
			if site.Downsample >= 1 {
				site.H, site.W = TokenGrid(H, W, site.Downsample)
			}
		}
		s.Blocks = append(s.Blocks, site)
	}
	return s, nil
}

// RestateLatent states the latent size on the sample input (and same-sized rank-4
// outputs) and drops every value_info shape, as Patch does for a dynamic input.
func (s Sites) RestateLatent(g *onnx.Graph) { restateLatent(g, s.LatentH, s.LatentW) }

// CheckOpsetRaise reports whether m's opset can be raised to `to` without changing any
// node's meaning (an *OpsetError if not) and lists the op types checked.
func CheckOpsetRaise(m *onnx.Model, to int64) ([]string, error) { return checkOpsetRaise(m, to) }

// RaiseOpset raises m's ai.onnx opset to `to` when lower (after CheckOpsetRaise).
func RaiseOpset(m *onnx.Model, to int64) { raiseOpset(m, to) }

// DropShapeHints removes the value_info shapes of values computed in the given stages
// of the block at scope (their token count changes).
func DropShapeHints(g *onnx.Graph, scope string, kinds ...string) {
	dropShapeHints(g, graphBlock{Scope: scope}, BlockReport{Merged: kinds})
}

// A GraphMatching is tomesd's bipartite soft matching of one block call emitted as
// ONNX ops: the index tensors that Merge and Unmerge read.
type GraphMatching struct{ mv matchingValues }

// EmitPartition adds the src/dst token lists (aIdx [Ns], bIdx [Nd]) of an h×w grid
// cut into sy×sx cells: read from the int64 input rand [h/sy, w/sx] when rand is
// not "" (zeros for an odd batch), else the fixed top-left partition.
func EmitPartition(b *onnx.Builder, x, rand string, h, w, sx, sy int) (aIdx, bIdx string) {
	if rand != "" {
		return emitPartitionRand(b, x, rand, h, w, sx, sy)
	}
	p, _ := NewPartition(h, w, sx, sy, TopLeft(h, w, sx, sy))
	return emitPartitionConst(b, p)
}

// EmitMatching adds the matching of x [B, N, C] for the partition (Nd dst tokens)
// that merges r src tokens.
func EmitMatching(b *onnx.Builder, x, aIdx, bIdx string, N, Nd, r int) GraphMatching {
	return GraphMatching{emitMatching(b, x, aIdx, bIdx, N, N-Nd, Nd, r)}
}

// Merge adds merge(y) for y [B, N, C'] → [B, N-r, C'].
func (m GraphMatching) Merge(b *onnx.Builder, y string) string { return emitMerge(b, m.mv, y) }

// Unmerge adds unmerge(z) for z [B, N-r, C'] → [B, N, C'].
func (m GraphMatching) Unmerge(b *onnx.Builder, z string) string { return emitUnmerge(b, m.mv, z) }
