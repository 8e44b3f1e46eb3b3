package fid

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// An Interval summarises FIDs over repeated subsamples: their mean, standard
// deviation (ddof 1), and the empirical Level interval [Lo, Hi] (the
// (1−Level)/2 and (1+Level)/2 quantiles).
type Interval struct {
	Mean, Std float64
	Lo, Hi    float64
	Level     float64
	Size      int       // rows per subsample, per set
	FIDs      []float64 // one per repetition, in draw order
	Warnings  []error
}

// SubsampleInterval draws reps pairs of subsets of size rows, without
// replacement, from x1 and x2, computes the exact FID of each pair
// (FrechetFeatures) and summarises them. It measures how much the FID moves
// with the particular images drawn at this sample size; it is not a
// confidence interval for the FID of the full sets (subsamples of size n/2
// read higher, FID being biased upward at small n; see FIDInfinity).
func SubsampleInterval(x1, x2 *mat.Dense, size, reps int, level float64, seed uint64) (*Interval, error) {
	n1, d := x1.Dims()
	n2, _ := x2.Dims()
	if size < 2 || size > min(n1, n2) || reps < 2 || !(level > 0 && level < 1) {
		panic(fmt.Sprintf("fid: SubsampleInterval: size %d (of %d, %d rows), reps %d, level %g", size, n1, n2, reps, level))
	}
	rng := rand.New(rand.NewPCG(seed, 0x7375627321)) // "subs!"
	iv := &Interval{Level: level, Size: size, FIDs: make([]float64, reps)}
	for i := range iv.FIDs {
		a, b := subRows(x1, sample(rng, n1, size)), subRows(x2, sample(rng, n2, size))
		r, err := FrechetFeatures(a, b)
		if err != nil {
			return nil, err
		}
		iv.FIDs[i] = r.FID
	}
	iv.Mean, iv.Std = stat.MeanStdDev(iv.FIDs, nil)
	sorted := append([]float64(nil), iv.FIDs...)
	sort.Float64s(sorted)
	iv.Lo = stat.Quantile((1-level)/2, stat.LinInterp, sorted, nil)
	iv.Hi = stat.Quantile((1+level)/2, stat.LinInterp, sorted, nil)
	if reps < 20 {
		iv.Warnings = append(iv.Warnings, fmt.Errorf("fid: only %d repetitions: the %g interval is rough", reps, level))
	}
	if size <= d {
		iv.Warnings = append(iv.Warnings, fmt.Errorf("fid: subsamples of %d rows for %d dimensions: %w", size, d, ErrSingularCovariance))
	}
	if 2*size >= min(n1, n2) {
		iv.Warnings = append(iv.Warnings, errors.New("fid: subsamples of half a set or more overlap heavily: the spread understates the sampling variability"))
	}
	return iv, nil
}

// An Extrapolation is FID against 1/N fitted by least squares,
// FID_N ≈ FIDInf + Slope/N (Chong & Forsyth, "Effectively Unbiased FID and
// Inception Score and where to find them", CVPR 2020).
type Extrapolation struct {
	FIDInf   float64   // intercept: the FID extrapolated to N → ∞
	Slope    float64   // coefficient of 1/N
	R2       float64   // coefficient of determination of the fit
	Sizes    []int     // N, rows drawn from x1 per point
	FIDs     []float64 // FID_N, one per size
	Warnings []error
}

// FIDInfinity computes FID_N between a subsample of N rows of x1 (drawn
// without replacement; the generated images) and all of x2 (the reference)
// for each N in sizes, and fits FID_N = FIDInf + Slope/N. FID's bias is
// linear in 1/N to first order, so FIDInf removes the dependence on how many
// images were generated. Chong & Forsyth use 15 sizes from 5,000 to 50,000.
func FIDInfinity(x1, x2 *mat.Dense, sizes []int, seed uint64) (*Extrapolation, error) {
	n1, d := x1.Dims()
	if len(sizes) < 2 {
		panic(fmt.Sprintf("fid: FIDInfinity: %d sizes, need at least 2", len(sizes)))
	}
	rng := rand.New(rand.NewPCG(seed, 0x696e66)) // "inf"
	ex := &Extrapolation{Sizes: append([]int(nil), sizes...), FIDs: make([]float64, len(sizes))}
	inv := make([]float64, len(sizes))
	for i, n := range sizes {
		if n < 2 || n > n1 {
			panic(fmt.Sprintf("fid: FIDInfinity: size %d outside [2, %d]", n, n1))
		}
		r, err := FrechetFeatures(subRows(x1, sample(rng, n1, n)), x2)
		if err != nil {
			return nil, err
		}
		ex.FIDs[i], inv[i] = r.FID, 1/float64(n)
	}
	ex.FIDInf, ex.Slope = stat.LinearRegression(inv, ex.FIDs, nil, false)
	ex.R2 = stat.RSquared(inv, ex.FIDs, nil, ex.FIDInf, ex.Slope)
	if len(sizes) < 5 {
		ex.Warnings = append(ex.Warnings, fmt.Errorf("fid: FID∞ from %d sizes only", len(sizes)))
	}
	if nmin := minInt(sizes); nmin <= d {
		ex.Warnings = append(ex.Warnings, fmt.Errorf("fid: sizes down to %d rows for %d dimensions: %w; the 1/N law holds for N ≫ D", nmin, d, ErrSingularCovariance))
	}
	if ex.R2 < 0.9 || math.IsNaN(ex.R2) {
		ex.Warnings = append(ex.Warnings, fmt.Errorf("fid: 1/N fit is poor (R² = %.3f)", ex.R2))
	}
	return ex, nil
}

func minInt(v []int) int {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func subRows(x *mat.Dense, idx []int) *mat.Dense {
	_, d := x.Dims()
	out := mat.NewDense(len(idx), d, nil)
	gatherRows(out.RawMatrix().Data, x, idx)
	return out
}
