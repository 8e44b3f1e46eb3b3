package tome

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
)

// plan finds the blocks of m and decides, block by block, what Patch does with
// opts, exactly as tomesd.patch.compute_merge decides per block call. It changes
// nothing. restate says whether the sample input must be restated at the latent size.
func plan(m *onnx.Model, opts PatchOptions) (rep Report, blocks []graphBlock, restate bool, err error) {
	if err := opts.Validate(); err != nil {
		return Report{}, nil, false, err
	}
	g := m.Graph()
	rep = Report{OpsetFrom: m.Opset(), OpsetTo: m.Opset()}
	if blocks, err = findBlocks(g); err != nil {
		return rep, nil, false, err
	}
	H, W, restate, err := resolveLatent(g, opts.Latent)
	if err != nil {
		return rep, nil, false, err
	}
	rep.LatentH, rep.LatentW = H, W
	if len(blocks) == 0 {
		rep.Warnings = append(rep.Warnings, fmt.Errorf("%w: no node is named under a .../transformer_blocks.K/ scope (torch exports before 1.13 carry no module scopes)", ErrNoBlocks))
		return rep, nil, false, nil
	}
	levels := newUNetLevels(g)
	for _, blk := range blocks {
		br := planBlock(g, levels, blk, H, W, !restate, opts.Options)
		if br.Reason == reasonUnknownN {
			rep.Warnings = append(rep.Warnings, fmt.Errorf("tome: block %s: %s", br.Name, br.Reason))
		}
		if br.Patched {
			if err := checkDynamicTokens(m, g, blk, br); err != nil {
				return rep, nil, false, err
			}
			if opts.UseRand {
				br.RandInput = RandInputName(len(rep.RandInputs))
				rep.RandInputs = append(rep.RandInputs, RandInput{Name: br.RandInput, Block: br.Name, H: br.H, W: br.W, SX: opts.SX, SY: opts.SY})
			}
			rep.Patched++
		}
		rep.Blocks = append(rep.Blocks, br)
	}
	if rep.Patched == 0 {
		rep.Warnings = append(rep.Warnings, noPatchWarning(opts.Options, rep.Blocks)) // says why (patch_why.go)
		return rep, blocks, false, nil
	}
	if restate {
		rep.Warnings = append(rep.Warnings, &FixedLatentWarning{H, W})
	}
	if rep.OpsChecked, err = checkOpsetRaise(m, PatchOpset); err != nil {
		return rep, blocks, restate, err // an *OpsetError: Inspect reports it, Patch fails
	}
	rep.OpsetTo = max(rep.OpsetFrom, PatchOpset)
	return rep, blocks, restate, nil
}

const reasonUnknownN = "token count unknown: the block is not under down_blocks, mid_block or up_blocks and its input shape is not stated"

// planBlock decides one block: its token count, grid, r and merged layers. A token
// count the graph states is used when useStated (the latent is not restated).
func planBlock(g *onnx.Graph, levels unetLevels, blk graphBlock, H, W int, useStated bool, o Options) BlockReport {
	br := BlockReport{Scope: blk.Scope, Name: blockName(blk.Scope)}
	for _, l := range blk.Layers {
		br.Layers = append(br.Layers, l.Kind)
	}
	if d, ok := g.Shape(blk.Input); useStated && ok && len(d) == 3 && d[1].Value > 0 {
		br.N = int(d[1].Value)
	} else if lv, ok := levels.level(blk.Scope); ok {
		h, w := levelSize(H, W, lv)
		br.N = h * w
	} else {
		br.Reason = reasonUnknownN
		return br
	}
	br.Downsample = Downsample(H, W, br.N)
	if br.Downsample >= 1 {
		br.H, br.W = TokenGrid(H, W, br.Downsample)
	}
	if !o.Eligible(H, W, br.N) {
		br.Reason = fmt.Sprintf("downsample %d > max_downsample %d", br.Downsample, o.MaxDownsample)
		return br
	}
	if br.H*br.W != br.N {
		br.Reason = fmt.Sprintf("token grid %dx%d does not hold its N = %d tokens", br.H, br.W, br.N)
		return br
	}
	Nd := (br.H / o.SY) * (br.W / o.SX)
	r := NumMerged(br.N, o.Ratio, br.N-Nd)
	switch {
	case Nd == 0:
		br.Reason = fmt.Sprintf("no whole %dx%d cell in the %dx%d grid", o.SY, o.SX, br.H, br.W)
		return br
	case r <= 0:
		br.Reason = fmt.Sprintf("r = int(%d * %g) = 0", br.N, o.Ratio)
		return br
	}
	for _, l := range blk.Layers {
		if l.Kind == "attn1" && o.MergeAttn || l.Kind == "attn2" && o.MergeCrossAttn || l.Kind == "ff" && o.MergeMLP {
			br.Merged = append(br.Merged, l.Kind)
		}
	}
	if len(br.Merged) == 0 {
		br.Reason = "merge_attn, merge_crossattn and merge_mlp select none of its layers"
		return br
	}
	br.R, br.Patched = r, true
	return br
}

// checkDynamicTokens refuses a block whose wrapped layers reshape to a constant shape
// holding the token count on axis 1: such an export fixed N, and merged inputs with
// N-r tokens would not fit.
func checkDynamicTokens(m *onnx.Model, g *onnx.Graph, blk graphBlock, br BlockReport) error {
	shapeInput := map[string]int{"Reshape": 1, "Expand": 1, "ConstantOfShape": 0}
	for _, kind := range br.Merged {
		for _, n := range g.InScope(blk.Scope + "/" + kind) {
			i, ok := shapeInput[n.OpType]
			if !ok || len(n.Input) <= i {
				continue
			}
			shape, ok := m.ConstInt64s(g, n.Input[i])
			if ok && len(shape) >= 2 && shape[1] == int64(br.N) {
				return &FindError{blk.Scope, fmt.Sprintf("%s %s has the fixed shape %v with N = %d tokens; export the model with dynamic shapes (ToMe changes the token count)", n.OpType, n.Name, shape, br.N)}
			}
		}
	}
	return nil
}

// A FixedLatentWarning says that Patch stated the UNet's latent size in its sample input,
// which was dynamic: the partitions are planned for that size, so the patched model runs
// at it only. Callers that patch for each size they run (the pipeline, the runner) may
// drop it.
type FixedLatentWarning struct{ H, W int }

func (w *FixedLatentWarning) Error() string {
	return fmt.Sprintf("tome: the sample input's spatial size is now stated as %dx%d: the patched model's partitions are planned for that latent size only", w.H, w.W)
}
