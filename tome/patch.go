package tome

import (
	"errors"
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
)

// PatchOptions are the settings of Patch: tomesd's apply_patch options and the latent
// size the model is planned for.
type PatchOptions struct {
	Options
	// Latent is the latent size H, W (pixels / 8 for Stable Diffusion). Zero means
	// the static spatial dims of the model's "sample" input. Given for an input with
	// dynamic or other dims, the patched model states it on the input (and on a
	// same-sized output): its partitions are planned for that size only.
	Latent [2]int
}

// A Report says what Patch found and did (or, from Inspect, would do).
type Report struct {
	// LatentH and LatentW are the latent size the blocks were planned for.
	LatentH, LatentW int
	// Blocks lists every transformer block found, in execution order.
	Blocks []BlockReport
	// RandInputs are the int64 inputs the patched model expects, one per patched block
	// in execution order, when UseRand is on; feed a fresh draw to each on every UNet
	// call ([RandInput.Draw], [Report.Draws]).
	RandInputs []RandInput
	// Patched is the number of blocks patched; 0 means the model is unchanged.
	Patched int
	// OpsetFrom and OpsetTo are the model's ai.onnx opset before and after.
	OpsetFrom, OpsetTo int64
	// OpsChecked are the op types in the model whose schema changed between
	// OpsetFrom and OpsetTo, each checked to keep its meaning.
	OpsChecked []string
	// Warnings explain blocks left alone and anything else the user should know.
	Warnings []error
}

// A BlockReport describes one transformer block.
type BlockReport struct {
	// Scope is the block's node-name scope, Name its module path
	// ("down_blocks.0.attentions.0.transformer_blocks.0").
	Scope, Name string
	// N is the block's token count (0 when unknown), Downsample tomesd's
	// downsample for it, H and W its token grid.
	N, Downsample, H, W int
	// R is the number of tokens merged away (0 when not patched).
	R int
	// Layers are the block's stages ("attn1", "attn2", "ff"); Merged those wrapped.
	Layers, Merged []string
	// Patched says whether merge/unmerge were inserted; Reason says why not.
	Patched bool
	Reason  string
	// RandInput is the name of the block's rand_idx input ("" without UseRand).
	RandInput string
}

// A RandInput is a graph input holding tomesd's rand_idx for one patched block:
// int64 [H/SY, W/SX], per sy×sx cell the row-major index (in [0, SX*SY)) of its dst.
type RandInput struct {
	Name   string // "tome_rand_idx_<k>"
	Block  string // the block's module path
	H, W   int    // the block's token grid
	SX, SY int
}

// Shape is the input's shape, [H/SY, W/SX].
func (r RandInput) Shape() []int64 { return []int64{int64(r.H / r.SY), int64(r.W / r.SX)} }

// Draw returns the next partition for this input from p (see [Partitioner.Draw]).
func (r RandInput) Draw(p *Partitioner) []int64 { return p.Draw(r.H, r.W, r.SX, r.SY) }

// Draws returns one fresh draw per rand input, drawn from p in execution order as
// tomesd draws from its one generator during a UNet call. Call it once per UNet call.
func (r Report) Draws(p *Partitioner) map[string][]int64 {
	out := make(map[string][]int64, len(r.RandInputs))
	for _, in := range r.RandInputs {
		out[in.Name] = in.Draw(p)
	}
	return out
}

// RandInputName is the name of the rand_idx input of the k-th patched block.
func RandInputName(k int) string { return fmt.Sprintf("tome_rand_idx_%d", k) }

// ErrNoBlocks is wrapped by the warning given when a model has no transformer blocks.
var ErrNoBlocks = errors.New("tome: no transformer blocks found")

// Inspect finds the transformer blocks of a UNet and reports which ones Patch would
// merge with opts, without changing m. A model whose opset Patch could not raise is
// reported with a warning (the *OpsetError Patch would return).
func Inspect(m *onnx.Model, opts PatchOptions) (Report, error) {
	rep, _, _, err := plan(m, opts)
	var oe *OpsetError
	if errors.As(err, &oe) {
		rep.Warnings = append(rep.Warnings, err)
		err = nil
	}
	return rep, err
}

// Patch inserts ToMe for SD into the UNet m, in place, as tomesd.apply_patch does to
// the torch module: in every transformer block whose token count is eligible
// (Options.Eligible), the matching is computed on the block input and merge/unmerge
// wrap self-attention (MergeAttn), cross-attention (MergeCrossAttn, the text context
// is not merged) and the feed-forward layer (MergeMLP):
//
//	x = unmerge(attn1(merge(norm1(x)))) + x
//
// With UseRand each patched block reads its partition from an int64 input
// (Report.RandInputs); without it the partition is a constant. The opset is raised to
// PatchOpset when lower, after checking that no node changes meaning. With ratio 0,
// or when no block is eligible, m is left unchanged (byte for byte) and the report
// says why. Structural surprises come back as *FindError, *LatentError or
// *OpsetError; m is then unchanged.
//
// Blocks are found by scope (".../transformer_blocks.K/norm1/...", as torch.onnx
// names nodes) and checked by structure, with LayerNorm decomposed (opset 14) or as
// LayerNormalization (opset 17), linear or 1×1-conv projections, any head count.
// Exports rarely state token counts, so N comes from the latent size and the block's
// place in the UNet: down_blocks.i sits below the downsamplers of down_blocks 0…i-1,
// mid_block below all, up_blocks.j climbs back by the upsamplers before it; each
// level halves H and W rounding up, as the stride-2 convolutions do. Graphs already
// fused by an optimiser (SkipLayerNormalization, fused Attention) are not
// recognised: patch the plain export and let ONNX Runtime optimise the result.
func Patch(m *onnx.Model, opts PatchOptions) (Report, error) {
	rep, blocks, restate, err := plan(m, opts)
	if err != nil || rep.Patched == 0 {
		return rep, err
	}
	g := m.Graph()
	raiseOpset(m, PatchOpset)
	if restate {
		restateLatent(g, rep.LatentH, rep.LatentW)
	}
	for i, br := range rep.Blocks {
		if br.Patched {
			dropShapeHints(g, blocks[i], br)
			emitBlock(g, m.Opset(), blocks[i], br, opts.Options)
		}
	}
	for _, in := range rep.RandInputs {
		g.AddInput(in.Name, onnx.Int64, in.Shape())
	}
	if err := g.TopoSort(); err != nil {
		return rep, fmt.Errorf("tome: patched graph: %w", err)
	}
	return rep, nil
}

// emitBlock inserts the matching, merges and unmerges of one block.
func emitBlock(g *onnx.Graph, opset int64, blk graphBlock, br BlockReport, o Options) {
	b := onnx.NewBuilder(g, opset).Scope(blk.Scope[1:] + "/tome")
	var aIdx, bIdx string
	if br.RandInput != "" {
		aIdx, bIdx = emitPartitionRand(b, blk.Input, br.RandInput, br.H, br.W, o.SX, o.SY)
	} else {
		p, _ := NewPartition(br.H, br.W, o.SX, o.SY, TopLeft(br.H, br.W, o.SX, o.SY))
		aIdx, bIdx = emitPartitionConst(b, p)
	}
	Nd := (br.H / o.SY) * (br.W / o.SX)
	mv := emitMatching(b, blk.Input, aIdx, bIdx, br.N, br.N-Nd, Nd, br.R)
	for _, l := range blk.Layers {
		if !containsString(br.Merged, l.Kind) {
			continue
		}
		lb := b.Scope(l.Kind)
		merged := emitMerge(lb, mv, l.NormOut)
		for _, r := range l.Readers {
			for i, in := range r.Input {
				if in == l.NormOut {
					r.Input[i] = merged
				}
			}
		}
		unmerged := emitUnmerge(lb, mv, l.Out)
		for i, in := range l.Add.Input {
			if in == l.Out {
				l.Add.Input[i] = unmerged
			}
		}
	}
	g.Invalidate()
}

// dropShapeHints removes the value_info shapes stated for values computed inside the
// layers a block merges: they now hold N-r tokens, and ONNX Runtime refuses a stated
// shape that disagrees with the one it infers.
func dropShapeHints(g *onnx.Graph, blk graphBlock, br BlockReport) {
	inside := map[string]bool{}
	for _, kind := range br.Merged {
		for _, n := range g.InScope(blk.Scope + "/" + kind) {
			for _, o := range n.Output {
				inside[o] = true
			}
		}
	}
	kept := g.P.ValueInfo[:0]
	for _, v := range g.P.ValueInfo {
		if !inside[v.Name] {
			kept = append(kept, v)
		}
	}
	g.P.ValueInfo = kept
}

// restateLatent restates the sample input, and rank-4 outputs of its old size, at
// H×W, and drops every value_info shape (they were stated for the old size).
func restateLatent(g *onnx.Graph, H, W int) {
	g.P.ValueInfo = nil
	s := sampleInput(g)
	old, _ := valueDims(s)
	setSpatialDims(s, H, W)
	for _, o := range g.P.Output {
		if d, ok := valueDims(o); ok && len(d) == 4 && d[2] == old[2] && d[3] == old[3] {
			setSpatialDims(o, H, W)
		}
	}
}
