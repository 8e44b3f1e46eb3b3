// Package tome is Token Merging for Stable Diffusion (ToMe for SD, Bolya & Hoffman
// 2023) as a reference algorithm on plain tensors, matching tomesd v0.1.3
// (tomesd/merge.py, tomesd/patch.py) number for number.
//
// Each transformer block call of a patched UNet does the following on its input
// x [B, N, C] (the hidden states before norm1; tomesd uses them as the similarity
// metric):
//
//  1. Eligibility. With the latent H x W, the block works at
//     downsample = ceil(sqrt(H*W // N)) (see [Downsample]); only blocks with
//     downsample <= MaxDownsample are merged ([Options.Eligible]). Their token grid
//     is h x w = ceil(H/ds) x ceil(W/ds) ([TokenGrid]) and r = int(N*ratio) tokens
//     are to be removed ([NumMerged] clamps r to the number of src tokens).
//  2. Partition. The grid is cut into sy x sx cells. In every whole cell one token
//     is dst: a random one when UseRand is on ([Partitioner.Draw] draws tomesd's
//     rand_idx [h/sy, w/sx]), else the top-left one ([TopLeft]). All other tokens,
//     including rows and columns left over when sy or sx does not divide h or w,
//     are src. One partition serves the whole batch; a fresh one is drawn for every
//     block call; with an odd batch UseRand is off. [NewPartition] turns a rand_idx
//     into the token ids of src and dst, both ascending (the order tomesd's argsort
//     gives when the sort is stable).
//  3. Match. a = src rows of x/||x||, b = dst rows of x/||x||, scores = a bᵀ
//     [B, Ns, Nd]. Each src picks its best dst (node_max, node_idx = max over dst),
//     src are sorted by node_max descending (edge_idx) and the first r are merged
//     ([BipartiteSoftMatching]); per batch element the matching differs.
//  4. Merge. Each dst becomes the mean (or sum) of itself and the src merged into
//     it; the output is [unmerged src in score order | dst], N - r tokens
//     ([Matching.Merge]).
//  5. Unmerge. After the wrapped layer, every dst and unmerged src goes back to its
//     own token position and every merged src receives a copy of its dst's row,
//     giving N tokens again ([Matching.Unmerge]). The block reads like the paper:
//     x = unmerge(attn1(merge(norm1(x)))) + x.
//
// [ComputeMerge] chains steps 1-3 exactly like tomesd.patch.compute_merge. With
// r = 0 (ratio 0, or a block that is not eligible) merge and unmerge return their
// input unchanged, so the patched model equals the unpatched one bit for bit.
//
// # ToMe inside an ONNX UNet
//
// [Patch] is tomesd.apply_patch for ONNX UNets: it finds every transformer block by
// its scope (/…/transformer_blocks.K/) and structure (norm1 → attn1 → residual Add,
// norm2 → attn2 → Add, norm3 → ff → Add), and inserts the steps above as ONNX ops
// around the layers the options select, the matching computed once per block call on
// the block input. With UseRand every patched block reads its partition from an int64
// input tome_rand_idx_<k> [h/sy, w/sx] that the caller draws per UNet call
// ([Report.Draws]); without it the partition is a constant. [Inspect] reports the
// same plan without editing. The reference functions above are the oracle in its
// tests.
//
// Failure contract: caller mistakes (mismatched shapes, invalid strides) panic with
// a "tome: " prefix; a rand_idx that comes from outside (a file, a replay) is
// checked by [NewPartition], which returns a *[RandIdxError].
package tome
