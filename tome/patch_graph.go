package tome

import (
	"github.com/tomebench/tomebench/internal/onnx"
)

// The ToMe subgraph of one transformer block, as ONNX ops. Static sizes: N tokens,
// Ns src, Nd dst, r merged; B (batch) stays dynamic. All index tensors are computed
// once per block call (tomesd's compute_merge) and shared by every merge/unmerge.
//
//	partition:   aIdx [Ns], bIdx [Nd]      src / dst token ids, each ascending
//	matching:    xn = x / ReduceL2(x)                                  [B, N, C]
//	             scores = Gather(xn, aIdx) · Gather(xn, bIdx)ᵀ         [B, Ns, Nd]
//	             nodeMax, nodeIdx = ReduceMax, ArgMax over dst         [B, Ns]
//	             edge = TopK(nodeMax, Ns, largest)  (descending argsort)
//	             srcIdx, unmIdx = edge[:, :r], edge[:, r:]
//	             dstIdx = GatherElements(nodeIdx, srcIdx)              [B, r]
//	merge(y):    keep = y[keepTok] = [unm | dst]                       [B, N-r, C]
//	             keep = ScatterND(keep, (b, Ns-r+dstIdx), y[srcTok], add) / count
//	             (summed in float32 and cast back: ONNX Runtime's CPU provider has
//	             no float16 ScatterND add)
//	unmerge(z):  z[umap]: every token takes its row of the merged tensor [B, N, C]
//
// Gathers along tokens use GatherND with batch_dims=1 and [B, K, 1] token indices,
// so no index tensor is ever expanded over channels.

// matchingValues names the per-block index tensors that merge and unmerge read.
type matchingValues struct {
	keepTok string // [B, N-r, 1]: token kept at each merged row (unm then dst)
	srcTok  string // [B, r, 1]: merged src tokens
	scatter string // [B, r, 2]: (b, row) of the dst each merged src adds to
	count   string // [B, N-r, 1]: 1 + number of src merged into each row, float32
	umap    string // [B, N, 1]: merged row each token reads back
}

// emitPartitionConst adds the src/dst token lists of a fixed partition (UseRand off:
// TopLeft) as constants.
func emitPartitionConst(b *onnx.Builder, p Partition) (aIdx, bIdx string) {
	return b.Int64s(int64s(p.Src)...), b.Int64s(int64s(p.Dst)...)
}

// emitPartitionRand computes the src/dst token lists from the graph input rand
// [h/sy, w/sx] (tomesd's rand_idx): the dst of cell (i, j) is token
// (i*sy + k/sx)*w + j*sx + k%sx for k = rand[i, j]. A buffer of N keys, -N at dst
// tokens and 0 elsewhere, plus the token id, sorted ascending gives dst then src,
// each in ascending id order (tomesd's argsort made stable). With an odd batch
// rand is replaced by zeros (tomesd turns use_rand off there).
func emitPartitionRand(b *onnx.Builder, x, rand string, h, w, sx, sy int) (aIdx, bIdx string) {
	hsy, wsx := h/sy, w/sx
	N, Nd := h*w, hsy*wsx
	batch := b.Op("Gather", []string{b.Shape(x), b.ScalarInt64(0)}, onnx.AInt("axis", 0))
	odd := b.Op("Equal", []string{b.Op("Mod", []string{batch, b.ScalarInt64(2)}), b.ScalarInt64(1)})
	rand = b.Where(odd, b.ScalarInt64(0), rand)
	offset := make([]int64, sx*sy) // row-major k within a cell → token offset
	for k := range offset {
		offset[k] = int64((k/sx)*w + k%sx)
	}
	base := make([]int64, 0, Nd) // each cell's top-left token
	for i := range hsy {
		for j := range wsx {
			base = append(base, int64(i*sy*w+j*sx))
		}
	}
	dst := b.Add(b.Const(onnx.TensorInt64("", []int64{int64(hsy), int64(wsx)}, base)),
		b.Gather(b.Const(onnx.TensorInt64("", []int64{int64(len(offset))}, offset)), rand, 0))
	dst = b.Reshape(dst, -1)
	fill := make([]float32, Nd)
	ids := make([]float32, N)
	for i := range fill {
		fill[i] = -float32(N)
	}
	for i := range ids {
		ids[i] = float32(i)
	}
	mask := b.ScatterElements(b.Floats([]int64{int64(N)}, make([]float32, N)), dst, b.Floats([]int64{int64(Nd)}, fill), 0, "")
	_, order := b.TopK(b.Add(mask, b.Floats([]int64{int64(N)}, ids)), b.Int64s(int64(N)), 0, false)
	return b.Slice(order, []int64{int64(Nd)}, []int64{int64(N)}, []int64{0}),
		b.Slice(order, []int64{0}, []int64{int64(Nd)}, []int64{0})
}

// emitMatching adds the bipartite soft matching of x [B, N, C] for the partition
// (aIdx [Ns], bIdx [Nd]) and the index tensors merge and unmerge need.
func emitMatching(b *onnx.Builder, x, aIdx, bIdx string, N, Ns, Nd, r int) matchingValues {
	n := func(v int) int64 { return int64(v) }
	xn := b.Div(x, b.Reduce("ReduceL2", x, true, -1))
	scores := b.MatMul(b.Gather(xn, aIdx, 1), b.Transpose(b.Gather(xn, bIdx, 1), 0, 2, 1)) // [B, Ns, Nd]
	nodeMax := b.Reduce("ReduceMax", scores, false, -1)                                    // [B, Ns]
	nodeIdx := b.ArgMax(scores, -1, false)                                                 // [B, Ns]
	_, edge := b.TopK(nodeMax, b.Int64s(n(Ns)), -1, true)                                  // [B, Ns]
	srcIdx := b.Slice(edge, []int64{0}, []int64{n(r)}, []int64{1})                         // [B, r]
	unmIdx := b.Slice(edge, []int64{n(r)}, []int64{n(Ns)}, []int64{1})                     // [B, Ns-r]
	dstIdx := b.GatherElements(nodeIdx, srcIdx, 1)                                         // [B, r]

	unmTok := b.Gather(aIdx, unmIdx, 0) // [B, Ns-r]
	srcTok := b.Gather(aIdx, srcIdx, 0) // [B, r]
	batchVec := b.Slice(b.Shape(x), []int64{0}, []int64{1}, []int64{0})
	perBatch := func(row string, width int) string { // [width] → [B, width]
		return b.Expand(b.Unsqueeze(row, 0), b.Concat(0, batchVec, b.Int64s(n(width))))
	}
	dstTok := perBatch(bIdx, Nd)                    // [B, Nd]
	dstRow := b.Add(dstIdx, b.ScalarInt64(n(Ns-r))) // [B, r]: merged row of each src's dst
	batchIdx := b.Op("Range", []string{b.ScalarInt64(0), b.Squeeze(batchVec, 0), b.ScalarInt64(1)})
	batchIdx = b.Expand(b.Unsqueeze(batchIdx, 1, 2), b.Concat(0, batchVec, b.Int64s(n(r), 1))) // [B, r, 1]

	ones := func(width int) string { // [B, width] float32 ones
		v := make([]float32, width)
		for i := range v {
			v[i] = 1
		}
		return b.Expand(b.Floats([]int64{1, n(width)}, v), b.Concat(0, batchVec, b.Int64s(n(width))))
	}
	count := b.ScatterElements(ones(N-r), dstRow, ones(r), 1, "add") // [B, N-r]

	rows := make([]int64, 0, N) // merged row read back by dst tokens, then by unm tokens
	for j := range Nd {
		rows = append(rows, n(Ns-r+j))
	}
	for t := range Ns - r {
		rows = append(rows, n(t))
	}
	perm := b.Concat(1, dstTok, unmTok, srcTok)                       // [B, N]: token ids
	vals := b.Concat(1, perBatch(b.Int64s(rows...), Nd+Ns-r), dstRow) // [B, N]: their rows
	umap := b.ScatterElements(perm, perm, vals, 1, "")                // perm covers every token once
	return matchingValues{
		keepTok: b.Unsqueeze(b.Concat(1, unmTok, dstTok), -1),
		srcTok:  b.Unsqueeze(srcTok, -1),
		scatter: b.Concat(-1, batchIdx, b.Unsqueeze(dstRow, -1)),
		count:   b.Unsqueeze(count, -1),
		umap:    b.Unsqueeze(umap, -1),
	}
}

// emitMerge adds merge(y) for y [B, N, C'] and returns its [B, N-r, C'] output:
// [unmerged src in score order | dst], each dst the mean of itself and its src.
//
// The mean is taken in float32 whatever y's type (the Casts are no-ops for float32,
// which ONNX Runtime removes): its CPU provider has no float16 ScatterND with
// reduction add, and a float16 model's merge would fail there. tomesd sums in the
// tensor's own type, so a float16 merge differs from it by float16 rounding.
func emitMerge(b *onnx.Builder, m matchingValues, y string) string {
	keep := b.Cast(gatherTokens(b, y, m.keepTok), onnx.Float)
	src := b.Cast(gatherTokens(b, y, m.srcTok), onnx.Float)
	sum := b.Op("ScatterND", []string{keep, m.scatter, src}, onnx.AString("reduction", "add"))
	return b.Op("CastLike", []string{b.Div(sum, m.count), y})
}

// emitUnmerge adds unmerge(z) for z [B, N-r, C'] and returns its [B, N, C'] output.
func emitUnmerge(b *onnx.Builder, m matchingValues, z string) string {
	return gatherTokens(b, z, m.umap)
}

// gatherTokens is x[b, idx[b, k, 0], :] for x [B, T, C] and idx [B, K, 1].
func gatherTokens(b *onnx.Builder, x, idx string) string {
	return b.Op("GatherND", []string{x, idx}, onnx.AInt("batch_dims", 1))
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
