package fid

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// KIDOptions configure KID. The zero value means the torch-fidelity and
// clean-fid defaults: 100 subsets of 1000 rows, seed 0.
type KIDOptions struct {
	Subsets    int    // number of subsets; 0 means 100
	SubsetSize int    // rows per subset; 0 means 1000; capped at min(n1, n2)
	Seed       uint64 // seed of the local PCG generator drawing the subsets
}

// A KIDResult is the Kernel Inception Distance: the mean and the standard
// deviation (ddof 0, as np.std) of the per-subset MMD² estimates.
type KIDResult struct {
	Mean, Std  float64
	Subsets    int
	SubsetSize int
	Warnings   []error
}

// KID returns the Kernel Inception Distance (Bińkowski et al. 2018) between
// the rows of x1 and x2 (n×D), as torch-fidelity and clean-fid define it:
// polynomial kernel k(x,y) = (xᵀy/D + 1)³ and, per subset of m rows drawn
// without replacement from each set, the unbiased estimate
//
//	MMD² = Σ_{i≠j} [k(x_i,x_j) + k(y_i,y_j)] / (m(m−1)) − 2 Σ_{i,j} k(x_i,y_j) / m².
//
// The subsets come from a seeded math/rand/v2 PCG, so values are
// reproducible here but not digit-identical to numpy-seeded tools.
func KID(x1, x2 *mat.Dense, opt KIDOptions) *KIDResult {
	n1, d := x1.Dims()
	n2, d2 := x2.Dims()
	if d != d2 {
		panic(fmt.Sprintf("fid: KID: feature widths %d and %d", d, d2))
	}
	subsets, m := opt.Subsets, opt.SubsetSize
	if subsets == 0 {
		subsets = 100
	}
	if m == 0 {
		m = 1000
	}
	res := &KIDResult{Subsets: subsets}
	if m > min(n1, n2) {
		res.Warnings = append(res.Warnings, fmt.Errorf("fid: KID subset size %d capped at %d rows", m, min(n1, n2)))
		m = min(n1, n2)
	}
	if m < 2 {
		panic(fmt.Sprintf("fid: KID: need at least 2 rows per set, have %d and %d", n1, n2))
	}
	res.SubsetSize = m
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6b6964)) // "kid"
	mmds := make([]float64, subsets)
	a, b := make([]float64, m*d), make([]float64, m*d)
	for s := range mmds {
		gatherRows(a, x1, sample(rng, n1, m))
		gatherRows(b, x2, sample(rng, n2, m))
		mmds[s] = polynomialMMD2(a, b, m, d)
	}
	var mean neumaier
	for _, v := range mmds {
		mean.add(v / float64(subsets))
	}
	res.Mean = mean.value()
	var ss neumaier
	for _, v := range mmds {
		ss.add((v - res.Mean) * (v - res.Mean))
	}
	res.Std = math.Sqrt(ss.value() / float64(subsets))
	return res
}

// polynomialMMD2 is the unbiased MMD² of the m×d row sets a and b under
// k(x,y) = (xᵀy/d + 1)³.
func polynomialMMD2(a, b []float64, m, d int) float64 {
	k := make([]float64, m*m)
	kernelSum := func(x, y []float64, skipDiag bool) float64 {
		la.gemm(false, true, m, m, d, 1/float64(d), x, d, y, d, 0, k, m)
		var s neumaier
		for i := 0; i < m; i++ {
			row := 0.0
			for j, v := range k[i*m : (i+1)*m] {
				if skipDiag && i == j {
					continue
				}
				v++
				row += v * v * v
			}
			s.add(row)
		}
		return s.value()
	}
	xx := kernelSum(a, a, true)
	yy := kernelSum(b, b, true)
	xy := kernelSum(a, b, false)
	fm := float64(m)
	return (xx+yy)/(fm*(fm-1)) - 2*xy/(fm*fm)
}

// sample returns k distinct indices of [0, n) in random order.
func sample(rng *rand.Rand, n, k int) []int {
	p := rng.Perm(n)
	return p[:k]
}

func gatherRows(dst []float64, x *mat.Dense, idx []int) {
	_, d := x.Dims()
	for i, r := range idx {
		copy(dst[i*d:(i+1)*d], x.RawRowView(r))
	}
}
