package fid

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// FrechetFeatures returns the exact Fréchet distance between the Gaussians
// fitted (np.mean, np.cov) to the rows of x1 (n1×D) and x2 (n2×D).
//
// When n1, n2 ≤ D (the singular case) it takes the samples route: with
// Ak = (Xk − mean)/√(nk−1), Σk = AkᵀAk and
//
//	tr√(Σ1Σ2) = ‖A1A2ᵀ‖_* (the nuclear norm, sum of singular values),
//
// from an SVD of the n1×n2 matrix A1A2ᵀ; no square root of a near-zero
// eigenvalue is ever taken. Otherwise it forms both statistics and calls
// Frechet with Exact.
func FrechetFeatures(x1, x2 *mat.Dense) (*Result, error) {
	n1, d := x1.Dims()
	n2, d2 := x2.Dims()
	if d != d2 {
		return nil, fmt.Errorf("fid: feature matrices of different widths: %d and %d", d, d2)
	}
	if n1 < 2 || n2 < 2 {
		return nil, fmt.Errorf("fid: need at least 2 feature rows per set, have %d and %d", n1, n2)
	}
	if n1 > d || n2 > d {
		return Frechet(StatsOf(x1), StatsOf(x2), Exact)
	}
	a1, mu1 := centred(x1)
	a2, mu2 := centred(x2)
	for _, v := range [][]float64{a1, a2} {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("fid: feature matrix holds %v", x)
			}
		}
	}
	c := make([]float64, n1*n2)
	la.gemm(false, true, n1, n2, d, 1/math.Sqrt(float64((n1-1)*(n2-1))), a1, d, a2, d, 0, c, n2)
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(n1, n2, c), mat.SVDNone) {
		return nil, fmt.Errorf("fid: SVD of the %d×%d cross matrix did not converge", n1, n2)
	}
	sv := svd.Values(nil)
	r := &Result{Method: Exact, Route: "samples", MeanTerm: meanTerm(mu1, mu2),
		Trace1: frob2(a1) / float64(n1-1), Trace2: frob2(a2) / float64(n2-1),
		Rank1: n1 - 1, Rank2: n2 - 1}
	var sum neumaier
	for _, s := range sv {
		sum.add(s)
	}
	r.TrSqrt = sum.value()
	r.FID = r.MeanTerm + r.Trace1 + r.Trace2 - 2*r.TrSqrt
	r.Warnings = sampleWarnings(&Stats{D: d, N: n1}, &Stats{D: d, N: n2})
	return r, nil
}

func frob2(a []float64) float64 {
	var s neumaier
	for _, v := range a {
		s.add(v * v)
	}
	return s.value()
}
