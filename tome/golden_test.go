package tome

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/testutil"
)

// goldenDir holds tomesd's own outputs (tomesd 27a14a3 = v0.1.3, torch 1.13 CPU);
// see ../../shared/fixtures/README.md, section tome/golden_merge.
const goldenDir = "../../shared/fixtures/tome/golden_merge"

// goldenCase is one case directory and how closely we must match it.
type goldenCase struct {
	dir string
	tol float64 // max abs difference of merged/unmerged values
	// orderBySet compares the unmerged src block by token rather than by row:
	// in the 64x64 case near-equal float32 scores order some unmerged rows
	// differently from torch (its manifest: same_unm_block_order_as_float64_stable_ref
	// false); the selected tokens are the same.
	orderBySet bool
}

var goldenCases = []goldenCase{
	{dir: "c1_b1_8x8_c8_s22_r50_norand", tol: 1e-5},
	{dir: "c2_b2_16x16_c8_s22_r50_rand", tol: 1e-5},
	{dir: "c3_b2_w12h10_c8_s44_r30_rand", tol: 1e-5},   // h, w not divisible by 4
	{dir: "c4_b2_w12h10_c8_s21_r90_norand", tol: 1e-5}, // r clamped 108 -> 60
	{dir: "c5_b2_16x16_c320_s21_r90_rand", tol: 1e-5},  // r clamped 230 -> 128
	{dir: "c6_b1_64x64_c320_s22_r50_rand", tol: 1e-5, orderBySet: true},
	{dir: "c7_b2_8x8_c8_s44_r30_rand", tol: 1e-5},
}

// goldenParams is the "params" object of a case's manifest.json.
type goldenParams struct {
	B, N, C, W, H, SX, SY, R int
	RRequested               int      `json:"r_requested"` // int(N*ratio)
	NumSrc                   int      `json:"num_src"`
	NumDst                   int      `json:"num_dst"`
	Modes                    []string `json:"modes"`
}

func loadGolden(t *testing.T, dir string) (goldenParams, func(name string) *npy.Array) {
	t.Helper()
	dir = filepath.Join(goldenDir, dir)
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("fixture missing (the tests need /work/shared/fixtures): %v", err)
	}
	var m struct{ Params goldenParams }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return m.Params, func(name string) *npy.Array {
		return testutil.ReadNPY(t, filepath.Join(dir, name+".npy"))
	}
}

func TestGoldenMerge(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.dir, func(t *testing.T) {
			p, load := loadGolden(t, tc.dir)
			x := NewTensor(p.B, p.N, p.C, load("x").Float32s())

			// Step 2: the partition from tomesd's rand_idx holds the same token sets
			// as tomesd's a_idx (src) and b_idx (dst), in ascending order.
			part, err := NewPartition(p.H, p.W, p.SX, p.SY, load("rand_idx").Int64s())
			if err != nil {
				t.Fatal(err)
			}
			if want := sortedInts(load("a_idx").Int64s()); !slices.Equal(part.Src, want) {
				t.Errorf("Src = %v, want sorted a_idx %v", part.Src, want)
			}
			if want := sortedInts(load("b_idx").Int64s()); !slices.Equal(part.Dst, want) {
				t.Errorf("Dst = %v, want sorted b_idx %v", part.Dst, want)
			}

			// Step 3: the same src are kept, merged, and sent to the same dst.
			m := BipartiteSoftMatching(x, part, p.RRequested) // clamped to Ns inside
			if m.R != p.R || len(part.Src) != p.NumSrc || len(part.Dst) != p.NumDst {
				t.Fatalf("R, Ns, Nd = %d, %d, %d, want %d, %d, %d", m.R, len(part.Src), len(part.Dst), p.R, p.NumSrc, p.NumDst)
			}
			unmTok, srcTok, dstTok := load("unm_tokens").Int64s(), load("src_tokens").Int64s(), load("dst_tokens").Int64s()
			kept := p.NumSrc - p.R
			for b := range p.B {
				gotUnm, gotSrc, gotDst := m.tokens(b)
				wantUnm, wantSrc, wantDst := ints(unmTok[b*kept:(b+1)*kept]), ints(srcTok[b*p.R:(b+1)*p.R]), ints(dstTok[b*p.R:(b+1)*p.R])
				if tc.orderBySet {
					// Near-ties may swap, but only a few ranks (1%) may move.
					if n := countMoved(gotUnm, wantUnm) + countMoved(gotSrc, wantSrc); n > (len(gotUnm)+len(gotSrc))/100 {
						t.Errorf("batch %d: %d tokens out of tomesd's score order", b, n)
					}
					gotUnm, wantUnm = slices.Sorted(slices.Values(gotUnm)), slices.Sorted(slices.Values(wantUnm))
					gotSrc, gotDst = sortPairs(gotSrc, gotDst)
					wantSrc, wantDst = sortPairs(wantSrc, wantDst)
				}
				if !slices.Equal(gotUnm, wantUnm) {
					t.Errorf("batch %d: unmerged tokens differ from unm_tokens", b)
				}
				if !slices.Equal(gotSrc, wantSrc) || !slices.Equal(gotDst, wantDst) {
					t.Errorf("batch %d: merged (src, dst) tokens differ from src_tokens/dst_tokens", b)
				}
			}

			// Steps 4-5: merged_<mode>_stable (dst block in ascending token order) and
			// unmerged_<mode>, which does not depend on torch's sort.
			for _, mode := range p.Modes {
				merged := m.Merge(x, Mode(mode))
				want := load("merged_" + mode + "_stable").Float32s()
				if tc.orderBySet {
					want = reorderUnm(want, unmTok, m, p)
				}
				if d := testutil.MaxAbsDiff(merged.Data, want); !(d <= tc.tol) {
					t.Errorf("merge %s: max abs diff %g > %g", mode, d, tc.tol)
				}
				// Unmerge tomesd's merged rows (in our layout), so that a merge error
				// cannot hide an unmerge error, then our own merged rows.
				wantUnmerged := load("unmerged_" + mode).Float32s()
				for _, in := range []Tensor{NewTensor(p.B, p.N-p.R, p.C, want), merged} {
					if d := testutil.MaxAbsDiff(m.Unmerge(in).Data, wantUnmerged); !(d <= tc.tol) {
						t.Errorf("unmerge %s: max abs diff %g > %g", mode, d, tc.tol)
					}
				}
			}
		})
	}
}

// tokens returns, for batch element b, the token ids of the unmerged src (score
// order), of the merged src (score order) and of the dst each one goes to.
func (m *Matching) tokens(b int) (unm, src, dst []int) {
	Ns, r := len(m.Src), m.R
	for _, i := range m.UnmIdx[b*(Ns-r) : (b+1)*(Ns-r)] {
		unm = append(unm, m.Src[i])
	}
	for t, i := range m.SrcIdx[b*r : (b+1)*r] {
		src = append(src, m.Src[i])
		dst = append(dst, m.Dst[m.DstIdx[b*r+t]])
	}
	return unm, src, dst
}

// reorderUnm returns the golden merged rows with each batch element's unmerged src
// block permuted from tomesd's order (unm_tokens) into ours.
func reorderUnm(want []float32, unmTok []int64, m *Matching, p goldenParams) []float32 {
	out := slices.Clone(want)
	kept := p.NumSrc - p.R
	for b := range p.B {
		row := map[int]int{}
		for k, id := range unmTok[b*kept : (b+1)*kept] {
			row[int(id)] = k
		}
		unm, _, _ := m.tokens(b)
		for k, id := range unm {
			from, ok := row[id]
			if !ok {
				continue // a different token set; the token test reports it
			}
			base := b * (p.N - p.R) * p.C
			copy(out[base+k*p.C:base+(k+1)*p.C], want[base+from*p.C:base+(from+1)*p.C])
		}
	}
	return out
}

// countMoved returns at how many positions got and want differ.
func countMoved(got, want []int) int {
	n := 0
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			n++
		}
	}
	return n + max(len(got), len(want)) - min(len(got), len(want))
}

func sortPairs(src, dst []int) ([]int, []int) {
	idx := make([]int, len(src))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return src[i] - src[j] })
	s, d := make([]int, len(src)), make([]int, len(dst))
	for k, i := range idx {
		s[k], d[k] = src[i], dst[i]
	}
	return s, d
}

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func sortedInts(v []int64) []int { return slices.Sorted(slices.Values(ints(v))) }
