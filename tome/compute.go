package tome

import "fmt"

// ComputeMerge does for one transformer block call what tomesd.patch.compute_merge
// does: given the block input x [B, N, C] (also the similarity metric) on an H x W
// latent, it returns the Matching whose Merge and Unmerge wrap the block's layers
// (x = Unmerge(attn1(Merge(norm1(x)))) + x when o.MergeAttn).
//
//  1. Blocks that are not o.Eligible(H, W, N) get a Matching with R = 0.
//  2. The token grid is TokenGrid(H, W, Downsample(H, W, N)) and
//     r = int(N * o.Ratio) (clamped to Ns by BipartiteSoftMatching).
//  3. The partition is drawn from p when o.UseRandFor(B) and p is not nil (odd
//     batches and a nil p use TopLeft and leave p's sequence untouched).
//
// It panics when o is invalid or the grid does not have N tokens.
func ComputeMerge(x Tensor, H, W int, o Options, p *Partitioner) *Matching {
	if err := o.Validate(); err != nil {
		panic(err.Error())
	}
	if !o.Eligible(H, W, x.N) {
		return BipartiteSoftMatching(x, Partition{Src: identityIdx(1, x.N)}, 0)
	}
	h, w := TokenGrid(H, W, Downsample(H, W, x.N))
	if h*w != x.N {
		panic(fmt.Sprintf("tome: ComputeMerge: a %dx%d latent gives a %dx%d token grid, not N = %d tokens", H, W, h, w, x.N))
	}
	randIdx := TopLeft(h, w, o.SX, o.SY)
	if p != nil && o.UseRandFor(x.B) {
		randIdx = p.Draw(h, w, o.SX, o.SY)
	}
	part, err := NewPartition(h, w, o.SX, o.SY, randIdx)
	if err != nil {
		panic(err.Error()) // unreachable: both rand_idx sources are valid by construction
	}
	return BipartiteSoftMatching(x, part, int(float64(x.N)*o.Ratio))
}
