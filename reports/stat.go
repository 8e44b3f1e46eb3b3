package reports

import "math"

// A Stat is a mean over N values with their sample standard deviation (0, and not
// shown, when N = 1).
type Stat struct {
	Mean float64
	Std  float64
	N    int
}

// newStat returns the Stat of xs, or nil when xs is empty.
func newStat(xs []float64) *Stat {
	if len(xs) == 0 {
		return nil
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	s := &Stat{Mean: mean, N: len(xs)}
	if len(xs) > 1 {
		s.Std = math.Sqrt(ss / float64(len(xs)-1))
	}
	return s
}

// ptr returns a pointer to v.
func ptr(v float64) *float64 { return &v }
