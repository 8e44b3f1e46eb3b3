package fideval

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
)

// CompareOptions select what Compare computes beyond the FID. The zero value is the
// exact FID alone.
type CompareOptions struct {
	// Method is how tr√(Σ1Σ2) is computed: fid.Exact, or fid.PytorchFIDCompat to
	// reproduce pytorch-fid's (slightly low) value.
	Method fid.Method
	// KID adds the Kernel Inception Distance (needs both sets' features).
	KID bool
	// Interval, when > 0, adds the spread of the FID over Reps subsamples of this many
	// images per set (needs features).
	Interval int
	// Reps is the number of subsamples for Interval; 0 means 20.
	Reps int
	// FIDInf, when > 0, adds FID∞ fitted over this many (>= 2) subsample sizes of the
	// first set between N/5 and N (needs features).
	FIDInf int
	// Seed seeds the subsets of KID, Interval and FIDInf.
	Seed uint64
}

// intervalLevel is the coverage of IntervalReport's [Lo, Hi].
const intervalLevel = 0.95

// Compare returns the FID between a and b, with the extras opt asks for.
//
// Route: with the exact method and both sets' features at hand, from the features
// (fid.FrechetFeatures, the nuclear norm of the centred cross product); otherwise from
// the statistics (fid.Frechet). Both are exact to round-off; the first is cheaper when
// N <= Dims. Sets of different dimensions, extras asked without features, and bad
// options are errors.
func Compare(a, b *Set, opt CompareOptions) (*Report, error) {
	if a == nil || b == nil || a.Stats == nil || b.Stats == nil {
		return nil, errors.New("fideval: Compare needs two sets with statistics")
	}
	if a.Stats.D != b.Stats.D {
		return nil, fmt.Errorf("%s has %d-d statistics, %s %d-d", name(a), a.Stats.D, name(b), b.Stats.D)
	}
	if opt.Method != fid.Exact && opt.Method != fid.PytorchFIDCompat {
		return nil, fmt.Errorf("fideval: unknown FID method %v", opt.Method)
	}
	if opt.Reps == 0 {
		opt.Reps = 20
	}
	if opt.Interval < 0 || opt.Interval == 1 || opt.Reps < 2 || opt.FIDInf < 0 || opt.FIDInf == 1 {
		return nil, fmt.Errorf("fideval: interval %d, reps %d, FID∞ sizes %d: want interval 0 or >= 2, reps >= 2 and FID∞ sizes 0 or >= 2",
			opt.Interval, opt.Reps, opt.FIDInf)
	}
	for _, s := range []*Set{a, b} {
		if s.Features != nil {
			if _, d := s.Features.Dims(); d != s.Stats.D {
				return nil, fmt.Errorf("%s: %d-d features with %d-d statistics", name(s), d, s.Stats.D)
			}
		}
	}
	if opt.KID || opt.Interval > 0 || opt.FIDInf > 0 {
		for _, s := range []*Set{a, b} {
			if s.Features == nil {
				return nil, fmt.Errorf("%s: KID, intervals and FID∞ need the features, and this set has only statistics", name(s))
			}
			if n, _ := s.Features.Dims(); n < 2 {
				return nil, fmt.Errorf("%s: %d feature rows, need at least 2", name(s), n)
			}
		}
	}
	if n := minRows(a.Features, b.Features); opt.Interval > 0 && opt.Interval > n {
		return nil, fmt.Errorf("fideval: interval subsamples of %d images, but a set has only %d", opt.Interval, n)
	}

	rep := &Report{Method: opt.Method.String(), Dims: a.Stats.D, Warnings: []string{}}
	for _, s := range []*Set{a, b} {
		in := Input{Path: s.Path, Kind: s.Kind}
		if s.Kind == KindImages {
			in.Images = s.N
		}
		rep.Inputs = append(rep.Inputs, in)
	}
	var res *fid.Result
	var err error
	if opt.Method == fid.Exact && a.Features != nil && b.Features != nil {
		res, err = fid.FrechetFeatures(a.Features, b.Features)
	} else {
		res, err = fid.Frechet(a.Stats, b.Stats, opt.Method)
	}
	if err != nil {
		return nil, err
	}
	rep.FID, rep.MeanTerm, rep.Trace1, rep.Trace2, rep.TrSqrt = res.FID, res.MeanTerm, res.Trace1, res.Trace2, res.TrSqrt
	rep.warn(res.Warnings)

	if opt.KID {
		k := fid.KID(a.Features, b.Features, fid.KIDOptions{Seed: opt.Seed})
		rep.KID = &KIDReport{k.Mean, k.Std, k.Subsets, k.SubsetSize}
		rep.warn(k.Warnings)
	}
	if opt.Interval > 0 {
		iv, err := fid.SubsampleInterval(a.Features, b.Features, opt.Interval, opt.Reps, intervalLevel, opt.Seed)
		if err != nil {
			return nil, err
		}
		rep.Interval = &IntervalReport{iv.Size, len(iv.FIDs), iv.Mean, iv.Std, iv.Lo, iv.Hi, iv.Level}
		rep.warn(iv.Warnings)
	}
	if opt.FIDInf > 0 {
		n, _ := a.Features.Dims()
		ex, err := fid.FIDInfinity(a.Features, b.Features, fidInfSizes(n, opt.FIDInf), opt.Seed)
		if err != nil {
			return nil, err
		}
		rep.FIDInf = &FIDInfReport{ex.FIDInf, ex.Slope, ex.R2, ex.Sizes, ex.FIDs}
		rep.warn(ex.Warnings)
	}
	return rep, nil
}

func (r *Report) warn(ws []error) {
	for _, w := range ws {
		r.Warnings = append(r.Warnings, w.Error())
	}
}

// name is how errors call s.
func name(s *Set) string {
	if s.Path != "" {
		return s.Path
	}
	return fmt.Sprintf("set of %d images", s.N)
}

// minRows is the fewer rows of x and y, 0 when either is nil.
func minRows(x, y *mat.Dense) int {
	if x == nil || y == nil {
		return 0
	}
	n1, _ := x.Dims()
	n2, _ := y.Dims()
	return min(n1, n2)
}

// fidInfSizes spreads k subsample sizes evenly in 1/N between n/5 and n (the fit is
// linear in 1/N), at least 2 images each.
func fidInfSizes(n, k int) []int {
	lo := max(n/5, 2)
	sizes := make([]int, k)
	for i := range sizes {
		inv := 1/float64(lo) + (1/float64(n)-1/float64(lo))*float64(i)/float64(k-1)
		sizes[i] = min(n, max(2, int(1/inv+0.5)))
	}
	return sizes
}
