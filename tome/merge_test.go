package tome

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomTensor returns a [B, N, C] tensor of standard normal values from seed.
func randomTensor(seed uint64, B, N, C int) Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := NewTensor(B, N, C, nil)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

func TestRatioZeroIsIdentity(t *testing.T) {
	// DESIGN.md: a ratio of 0 must give the unpatched model's output exactly; tomesd
	// returns do_nothing for r <= 0. Also blocks that are not eligible.
	x := randomTensor(1, 2, 64*64, 8)
	o := DefaultOptions()
	o.Ratio = 0
	for _, tc := range []struct {
		name string
		o    Options
		x    Tensor
	}{
		{"ratio 0", o, x},
		{"downsample 2 > max_downsample 1", DefaultOptions(), randomTensor(2, 2, 32*32, 8)},
	} {
		m := ComputeMerge(tc.x, 64, 64, tc.o, NewPartitioner(0, true))
		merged := m.Merge(tc.x, Mean)
		if m.R != 0 || merged.N != tc.x.N || !slices.Equal(merged.Data, tc.x.Data) {
			t.Errorf("%s: R = %d, merged N = %d; want the input unchanged", tc.name, m.R, merged.N)
		}
		if y := m.Unmerge(merged); !slices.Equal(y.Data, tc.x.Data) {
			t.Errorf("%s: Unmerge(Merge(x)) != x", tc.name)
		}
	}
}

// TestMatchingByBruteForce restates step 3 in float64 on an 8x12 grid: every src's
// best dst by cosine similarity, the r best src merged.
func TestMatchingByBruteForce(t *testing.T) {
	const B, h, w, C, r = 2, 8, 12, 16, 40
	x := randomTensor(3, B, h*w, C)
	randIdx := NewPartitioner(3, true).Draw(h, w, 2, 2)
	p, err := NewPartition(h, w, 2, 2, randIdx)
	if err != nil {
		t.Fatal(err)
	}
	m := BipartiteSoftMatching(x, p, r)
	cos := func(b, i, j int) float64 {
		var ab, aa, bb float64
		for c, u := range x.Row(b, i) {
			v := float64(x.Row(b, j)[c])
			ab, aa, bb = ab+float64(u)*v, aa+float64(u)*float64(u), bb+v*v
		}
		return ab / math.Sqrt(aa*bb)
	}
	for b := range B {
		best := map[int]int{} // src token -> its best dst token
		score := map[int]float64{}
		for _, s := range p.Src {
			score[s] = math.Inf(-1)
			for _, d := range p.Dst {
				if c := cos(b, s, d); c > score[s] {
					best[s], score[s] = d, c
				}
			}
		}
		order := slices.Clone(p.Src)
		slices.SortStableFunc(order, func(i, j int) int { return -cmpFloat(score[i], score[j]) })
		unm, src, dst := m.tokens(b)
		if !slices.Equal(src, order[:r]) || !slices.Equal(unm, order[r:]) {
			t.Errorf("batch %d: merged src %v, want %v", b, src, order[:r])
		}
		for k, s := range src {
			if dst[k] != best[s] {
				t.Errorf("batch %d: src %d goes to dst %d, want %d", b, s, dst[k], best[s])
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestUnmergeMergeIsMean: after Unmerge(Merge(x)) every dst and the src merged into
// it hold their mean (or sum), every unmerged src is unchanged. The values to merge
// may have another width C than the metric.
func TestUnmergeMergeIsMean(t *testing.T) {
	const B, h, w, r = 2, 10, 12, 50
	metric := randomTensor(4, B, h*w, 16)
	x := randomTensor(5, B, h*w, 24)
	p, err := NewPartition(h, w, 4, 2, NewPartitioner(4, true).Draw(h, w, 4, 2))
	if err != nil {
		t.Fatal(err)
	}
	m := BipartiteSoftMatching(metric, p, r)
	for _, mode := range []Mode{Mean, Sum} {
		merged := m.Merge(x, mode)
		if merged.N != h*w-r || merged.C != x.C {
			t.Fatalf("%s: merged shape [%d, %d, %d], want [%d, %d, %d]", mode, merged.B, merged.N, merged.C, B, h*w-r, x.C)
		}
		y := m.Unmerge(merged)
		for b := range B {
			unm, src, dst := m.tokens(b)
			group := map[int][]int{} // dst token -> tokens combined into it
			for _, d := range p.Dst {
				group[d] = []int{d}
			}
			for k, s := range src {
				group[dst[k]] = append(group[dst[k]], s)
			}
			for d, members := range group {
				for c := range x.C {
					var want float64
					for _, id := range members {
						want += float64(x.Row(b, id)[c])
					}
					if mode == Mean {
						want /= float64(len(members))
					}
					for _, id := range members {
						if got := float64(y.Row(b, id)[c]); math.Abs(got-want) > 1e-5 {
							t.Fatalf("%s batch %d: token %d (dst %d) channel %d = %g, want %g", mode, b, id, d, c, got, want)
						}
					}
				}
			}
			for _, id := range unm {
				if !slices.Equal(y.Row(b, id), x.Row(b, id)) {
					t.Fatalf("%s batch %d: unmerged src %d changed", mode, b, id)
				}
			}
		}
	}
}

func TestComputeMergeOddBatch(t *testing.T) {
	// tomesd turns use_rand off for odd batches and does not touch the generator.
	o := DefaultOptions()
	pt := NewPartitioner(9, true)
	m := ComputeMerge(randomTensor(6, 1, 16*16, 8), 16, 16, o, pt)
	want, _ := NewPartition(16, 16, 2, 2, TopLeft(16, 16, 2, 2))
	if !slices.Equal(m.Dst, want.Dst) || m.R != 128 {
		t.Errorf("odd batch: dst %v, R %d; want the top-left partition, R 128", m.Dst[:4], m.R)
	}
	if !slices.Equal(pt.Draw(16, 16, 2, 2), NewPartitioner(9, true).Draw(16, 16, 2, 2)) {
		t.Error("odd batch consumed the generator")
	}
	// An even batch takes the next draw.
	m = ComputeMerge(randomTensor(6, 2, 16*16, 8), 16, 16, o, NewPartitioner(9, true))
	want, _ = NewPartition(16, 16, 2, 2, NewPartitioner(9, true).Draw(16, 16, 2, 2))
	if !slices.Equal(m.Dst, want.Dst) {
		t.Error("even batch: partition is not the partitioner's first draw")
	}
}

func TestCallerMistakesPanic(t *testing.T) {
	x := randomTensor(7, 2, 64, 4)
	p, _ := NewPartition(8, 8, 2, 2, TopLeft(8, 8, 2, 2))
	m := BipartiteSoftMatching(x, p, 10)
	for name, f := range map[string]func(){
		"metric N":        func() { BipartiteSoftMatching(randomTensor(7, 2, 63, 4), p, 10) },
		"merge N":         func() { m.Merge(randomTensor(7, 2, 60, 4), Mean) },
		"merge B":         func() { m.Merge(randomTensor(7, 1, 64, 4), Mean) },
		"merge mode":      func() { m.Merge(x, "max") },
		"unmerge N":       func() { m.Unmerge(x) },
		"tensor length":   func() { NewTensor(2, 3, 4, make([]float32, 23)) },
		"grid":            func() { TopLeft(8, 8, 0, 2) },
		"downsample":      func() { Downsample(64, 64, 0) },
		"compute options": func() { ComputeMerge(x, 8, 8, Options{}, nil) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "tome: ") {
					t.Errorf("%s: recovered %q, want a panic starting with \"tome: \"", name, msg)
				}
			}()
			f()
		}()
	}
}

// BenchmarkMergeUnmerge times the reference implementation on SD1.5's largest
// blocks: B = 2, N = 64x64 = 4096, C = 320, ratio 0.5 (r = 2048), one partition
// draw, matching, merge and unmerge per iteration.
func BenchmarkMergeUnmerge(b *testing.B) {
	x := randomTensor(8, 2, 4096, 320)
	pt := NewPartitioner(8, true)
	o := DefaultOptions()
	for b.Loop() {
		m := ComputeMerge(x, 64, 64, o, pt)
		m.Unmerge(m.Merge(x, Mean))
	}
}
