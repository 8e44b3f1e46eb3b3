package tome

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// A Mode says how Merge combines a dst token with the src tokens merged into it.
type Mode string

// The modes of torch's scatter_reduce that tomesd uses (include_self=True).
const (
	Mean Mode = "mean" // dst = (dst + Σ src) / (1 + count)
	Sum  Mode = "sum"  // dst = dst + Σ src
)

// A Matching is the result of bipartite soft matching (step 3 of the method): which
// src tokens are merged, and into which dst. It holds tomesd's index tensors, as
// positions within Partition.Src and Partition.Dst, per batch element.
// With R = 0 Merge and Unmerge return their input unchanged.
type Matching struct {
	Partition
	B, N, R int
	// UnmIdx [B, Ns-R]: positions in Src of the unmerged src, by score descending.
	UnmIdx []int
	// SrcIdx [B, R]: positions in Src of the merged src, by score descending.
	SrcIdx []int
	// DstIdx [B, R]: for each merged src, the position in Dst of its best dst.
	DstIdx []int
}

// BipartiteSoftMatching matches the src tokens of partition p to its dst tokens by
// the cosine similarity of their metric rows, metric [B, N, C], and merges the r
// best-matching src (r is clamped to Ns; r <= 0, or no dst at all, merges nothing):
//
//	a, b = metric[Src]/||·||, metric[Dst]/||·||    [B, Ns, C], [B, Nd, C]
//	scores = a bᵀ                                  [B, Ns, Nd]
//	node_max, node_idx = max(scores, dim=-1)       first index on ties, as torch.max
//	edge_idx = argsort(node_max, descending)       stable: ties keep src order
//	unm_idx, src_idx = edge_idx[r:], edge_idx[:r]
//	dst_idx = node_idx[src_idx]
//
// Norms and dot products are accumulated in float64 and rounded to float32 (the
// scores torch's float32 matmul approximates). On the goldens this gives tomesd's
// values to 1e-5 and its token order everywhere except six adjacent pairs (of
// 3,072 ranks) in the 64x64 case whose scores differ by at most 7.5e-8: torch's
// sgemm rounds them the other way, and an 8-lane float32 accumulation swaps the
// same pairs. Which tokens are merged, and into which dst, is the same.
// It panics when metric.N is not p.N().
func BipartiteSoftMatching(metric Tensor, p Partition, r int) *Matching {
	B, N := metric.B, metric.N
	if N != p.N() {
		panic(fmt.Sprintf("tome: BipartiteSoftMatching: metric has %d tokens, partition %d", N, p.N()))
	}
	Ns, Nd := len(p.Src), len(p.Dst)
	r = min(r, Ns)
	if r <= 0 || Nd == 0 {
		return &Matching{Partition: p, B: B, N: N, UnmIdx: identityIdx(B, Ns)}
	}
	m := &Matching{Partition: p, B: B, N: N, R: r,
		UnmIdx: make([]int, 0, B*(Ns-r)), SrcIdx: make([]int, 0, B*r), DstIdx: make([]int, 0, B*r)}
	nodeMax := make([]float32, Ns) // [Ns] per batch element
	nodeIdx := make([]int, Ns)
	edgeIdx := make([]int, Ns)
	for bi := range B {
		a := normalizedRows(metric, bi, p.Src) // [Ns, C]
		b := normalizedRows(metric, bi, p.Dst) // [Nd, C]
		for i := range Ns {
			nodeMax[i], nodeIdx[i] = float32(math.Inf(-1)), 0
			for j := range Nd {
				if s := dot(a[i], b[j]); s > nodeMax[i] {
					nodeMax[i], nodeIdx[i] = s, j
				}
			}
			edgeIdx[i] = i
		}
		slices.SortStableFunc(edgeIdx, func(i, j int) int { return cmp.Compare(nodeMax[j], nodeMax[i]) })
		m.UnmIdx = append(m.UnmIdx, edgeIdx[r:]...)
		m.SrcIdx = append(m.SrcIdx, edgeIdx[:r]...)
		for _, i := range edgeIdx[:r] {
			m.DstIdx = append(m.DstIdx, nodeIdx[i])
		}
	}
	return m
}

// Merge reduces x [B, N, C] to [B, N-R, C] = [unmerged src in score order | dst],
// where each dst row combines itself with the src rows merged into it (mode Mean or
// Sum, summed in float32 in score order like torch's scatter_reduce). x may have
// another C than the metric. With R = 0 it returns x itself.
func (m *Matching) Merge(x Tensor, mode Mode) Tensor {
	m.checkBatch("Merge", x, m.N)
	if mode != Mean && mode != Sum {
		panic(fmt.Sprintf("tome: Merge: unknown mode %q", mode))
	}
	if m.R == 0 {
		return x
	}
	Ns, Nd, r, C := len(m.Src), len(m.Dst), m.R, x.C
	out := NewTensor(m.B, m.N-r, C, nil)
	count := make([]float32, Nd)
	for b := range m.B {
		unm, srcIdx, dstIdx := m.UnmIdx[b*(Ns-r):(b+1)*(Ns-r)], m.SrcIdx[b*r:(b+1)*r], m.DstIdx[b*r:(b+1)*r]
		for t, i := range unm {
			copy(out.Row(b, t), x.Row(b, m.Src[i]))
		}
		for j, id := range m.Dst {
			copy(out.Row(b, Ns-r+j), x.Row(b, id))
			count[j] = 1
		}
		for t, i := range srcIdx {
			dst, src := out.Row(b, Ns-r+dstIdx[t]), x.Row(b, m.Src[i])
			for c := range dst {
				dst[c] += src[c]
			}
			count[dstIdx[t]]++
		}
		if mode == Mean {
			for j := range Nd {
				for c, dst := 0, out.Row(b, Ns-r+j); c < C; c++ {
					dst[c] /= count[j]
				}
			}
		}
	}
	return out
}

// Unmerge restores y [B, N-R, C] (the output of a layer applied to Merge's result)
// to [B, N, C]: dst and unmerged src rows go back to their token positions and every
// merged src receives a copy of its dst's row. With R = 0 it returns y itself.
func (m *Matching) Unmerge(y Tensor) Tensor {
	m.checkBatch("Unmerge", y, m.N-m.R)
	if m.R == 0 {
		return y
	}
	Ns, r := len(m.Src), m.R
	out := NewTensor(m.B, m.N, y.C, nil)
	for b := range m.B {
		for j, id := range m.Dst {
			copy(out.Row(b, id), y.Row(b, Ns-r+j))
		}
		for t, i := range m.UnmIdx[b*(Ns-r) : (b+1)*(Ns-r)] {
			copy(out.Row(b, m.Src[i]), y.Row(b, t))
		}
		for t, i := range m.SrcIdx[b*r : (b+1)*r] {
			copy(out.Row(b, m.Src[i]), y.Row(b, Ns-r+m.DstIdx[b*r+t]))
		}
	}
	return out
}

func (m *Matching) checkBatch(op string, x Tensor, n int) {
	if x.B != m.B || x.N != n || len(x.Data) != x.B*x.N*x.C {
		panic(fmt.Sprintf("tome: %s: got [%d, %d, %d] with %d values, want [%d, %d, C]",
			op, x.B, x.N, x.C, len(x.Data), m.B, n))
	}
}

// normalizedRows returns the rows ids of batch element b of x, each divided by its
// L2 norm, as float32 values (norm summed in float64, then rounded to float32, as
// is each quotient) held in float64 so that dot needs no conversions.
func normalizedRows(x Tensor, b int, ids []int) [][]float64 {
	rows := make([][]float64, len(ids))
	for k, id := range ids {
		row := x.Row(b, id)
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		norm := float32(math.Sqrt(ss))
		rows[k] = make([]float64, len(row))
		for c, v := range row {
			rows[k][c] = float64(v / norm)
		}
	}
	return rows
}

// dot returns a·b accumulated in float64 (four partial sums), rounded to float32.
func dot(a, b []float64) float32 {
	b = b[:len(a)] // one bounds check here, none in the loop
	var s0, s1, s2, s3 float64
	c := 0
	for ; c+4 <= len(a); c += 4 {
		a4, b4 := a[c:c+4:c+4], b[c:c+4:c+4]
		s0 += a4[0] * b4[0]
		s1 += a4[1] * b4[1]
		s2 += a4[2] * b4[2]
		s3 += a4[3] * b4[3]
	}
	for ; c < len(a); c++ {
		s0 += a[c] * b[c]
	}
	return float32((s0 + s1) + (s2 + s3))
}

// identityIdx returns [B, n] positions 0..n-1 per batch element.
func identityIdx(B, n int) []int {
	idx := make([]int, 0, B*n)
	for range B {
		for i := range n {
			idx = append(idx, i)
		}
	}
	return idx
}
