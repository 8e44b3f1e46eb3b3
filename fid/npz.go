package fid

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/npy"
)

// A StatsFileError says what is wrong with a statistics file.
type StatsFileError struct {
	File string
	Msg  string
}

func (e *StatsFileError) Error() string { return "fid: " + e.File + ": " + e.Msg }

// ReadStats reads pytorch-fid statistics (an .npz with arrays mu [D] and
// sigma [D, D], as --save-stats writes them). It checks the keys, the shapes,
// that sigma is square and matches mu, and that every value is finite; it
// does not check symmetry or positive semi-definiteness.
func ReadStats(path string) (*Stats, error) {
	arrays, err := npy.ReadNPZFile(path)
	if err != nil {
		return nil, &StatsFileError{File: path, Msg: err.Error()}
	}
	return statsFromArrays(path, arrays)
}

func statsFromArrays(path string, arrays map[string]*npy.Array) (*Stats, error) {
	bad := func(format string, args ...any) error {
		return &StatsFileError{File: path, Msg: fmt.Sprintf(format, args...)}
	}
	mu, sigma := arrays["mu"], arrays["sigma"]
	switch {
	case mu == nil:
		return nil, bad("no array named mu")
	case sigma == nil:
		return nil, bad("no array named sigma")
	}
	if !isFloat(mu) || !isFloat(sigma) {
		return nil, bad("mu is %s and sigma is %s, want floating point", mu.DType, sigma.DType)
	}
	if len(mu.Shape) != 1 || mu.Shape[0] == 0 {
		return nil, bad("mu has shape %v, want [D] with D > 0", mu.Shape)
	}
	if len(sigma.Shape) != 2 {
		return nil, bad("sigma has shape %v, want [D, D]", sigma.Shape)
	}
	if sigma.Shape[0] != sigma.Shape[1] {
		return nil, bad("sigma is not square: shape %v", sigma.Shape)
	}
	if sigma.Shape[0] != mu.Shape[0] {
		return nil, bad("sigma is %d×%d but mu has %d values", sigma.Shape[0], sigma.Shape[1], mu.Shape[0])
	}
	s := &Stats{D: mu.Shape[0], Mu: mu.Float64s(), Sigma: sigma.Float64s()}
	if err := s.checkFinite(); err != nil {
		return nil, bad("%v", err)
	}
	return s, nil
}

func isFloat(a *npy.Array) bool { return a.DType == npy.Float64 || a.DType == npy.Float32 }

// WriteStats writes s as pytorch-fid statistics (np.savez_compressed with
// float64 mu and sigma), readable by pytorch-fid and by ReadStats.
func WriteStats(path string, s *Stats) error {
	if len(s.Mu) != s.D || len(s.Sigma) != s.D*s.D {
		panic(fmt.Sprintf("fid: WriteStats: D=%d with %d mu and %d sigma values", s.D, len(s.Mu), len(s.Sigma)))
	}
	return npy.WriteNPZFile(path, map[string]*npy.Array{
		"mu":    npy.NewFloat64([]int{s.D}, s.Mu),
		"sigma": npy.NewFloat64([]int{s.D, s.D}, s.Sigma),
	})
}
