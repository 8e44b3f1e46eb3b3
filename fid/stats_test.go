package fid

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestStatsMatchNumpy: the fixture .npz statistics were made with np.mean and
// np.cov(rowvar=False) from the *_samples.npz rows; StatsOf and the streaming
// Accumulator (fed in uneven chunks, batch 7 to cross batch boundaries) must
// reproduce them to round-off.
func TestStatsMatchNumpy(t *testing.T) {
	for _, c := range synthCases {
		want := readStats(t, c.name+"_1.npz")
		x, _ := readSamples(t, c.name)
		n, d := x.Dims()
		acc := NewAccumulator(d)
		acc.batch = 7
		raw := x.RawMatrix().Data
		for i := 0; i < n; {
			k := min(1+i%5, n-i)
			acc.Add(raw[i*d : (i+k)*d])
			i += k
		}
		for name, got := range map[string]*Stats{"StatsOf": StatsOf(x), "Accumulator": acc.Stats()} {
			if got.N != n {
				t.Errorf("%s %s: N = %d, want %d", c.name, name, got.N, n)
			}
			scale := math.Sqrt(want.Trace() / float64(d))
			for i := range want.Mu {
				if math.Abs(got.Mu[i]-want.Mu[i]) > 1e-14*(1+math.Abs(want.Mu[i])) {
					t.Fatalf("%s %s: mu[%d] = %g, numpy %g", c.name, name, i, got.Mu[i], want.Mu[i])
				}
			}
			for i := range want.Sigma {
				if math.Abs(got.Sigma[i]-want.Sigma[i]) > 1e-13*scale*scale {
					t.Fatalf("%s %s: sigma[%d] = %g, numpy %g", c.name, name, i, got.Sigma[i], want.Sigma[i])
				}
			}
		}
	}
}

// TestAccumulatorLargeMean: features with a mean 1e6 times their spread
// (where raw sums of squares lose every digit) still give the covariance.
func TestAccumulatorLargeMean(t *testing.T) {
	const n, d = 300, 5
	rng := rand.New(rand.NewPCG(1, 1))
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(i, j, 1e6+rng.NormFloat64())
		}
	}
	acc := NewAccumulator(d)
	acc.batch = 64
	acc.Add(x.RawMatrix().Data)
	got, want := acc.Stats(), StatsOf(x)
	for i := range want.Sigma {
		if math.Abs(got.Sigma[i]-want.Sigma[i]) > 1e-9 {
			t.Fatalf("sigma[%d] = %.17g, two-pass %.17g", i, got.Sigma[i], want.Sigma[i])
		}
	}
	f32 := NewAccumulator(d)
	row := make([]float32, d)
	for i := 0; i < n; i++ {
		for j := range row {
			row[j] = float32(x.At(i, j))
		}
		f32.AddFloat32(row)
	}
	if f32.N() != n {
		t.Fatalf("AddFloat32: N = %d", f32.N())
	}
}

func TestAccumulatorPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"bad d":   func() { NewAccumulator(0) },
		"ragged":  func() { NewAccumulator(3).Add(make([]float64, 4)) },
		"one row": func() { a := NewAccumulator(2); a.Add([]float64{1, 2}); a.Stats() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
