package fid

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSubsampleInterval(t *testing.T) {
	x1, x2 := readSamples(t, "d64_i_wellcond") // 200×64 each
	iv, err := SubsampleInterval(x1, x2, 100, 30, 0.9, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !(iv.Lo <= iv.Mean && iv.Mean <= iv.Hi) || iv.Std <= 0 {
		t.Errorf("interval [%g, %g], mean %g, std %g", iv.Lo, iv.Hi, iv.Mean, iv.Std)
	}
	// Smaller samples read higher (positive bias): the full-set FID
	// (2.4651, fid_synthetic.json) lies below the subsample mean.
	if iv.Mean <= 2.4650761212322 {
		t.Errorf("subsample mean %g not above the full-set FID", iv.Mean)
	}
	iv2, _ := SubsampleInterval(x1, x2, 100, 30, 0.9, 3)
	if !slices.Equal(iv.FIDs, iv2.FIDs) {
		t.Error("same seed, different draws")
	}
	if len(iv.Warnings) == 0 {
		t.Error("no warning for half-size subsamples")
	}
}

// TestFIDInfinity: for Gaussian features the bias of FID_N is close to
// linear in 1/N, so the extrapolation recovers the population FID. Here x1 ~
// N(0, I), x2 ~ N(0, 4I) with 40,000 rows in d = 8: population FID =
// d·(1 + 4 − 2·2) = 8.
func TestFIDInfinity(t *testing.T) {
	const d = 8
	rng := rand.New(rand.NewPCG(11, 12))
	x1, x2 := mat.NewDense(20000, d, nil), mat.NewDense(40000, d, nil)
	for i, raw := 0, x1.RawMatrix().Data; i < len(raw); i++ {
		raw[i] = rng.NormFloat64()
	}
	for i, raw := 0, x2.RawMatrix().Data; i < len(raw); i++ {
		raw[i] = 2 * rng.NormFloat64()
	}
	ex, err := FIDInfinity(x1, x2, []int{50, 100, 200, 400, 800, 1600}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ex.FIDInf-8) > 0.25 || ex.Slope <= 0 || ex.FIDs[0] <= ex.FIDs[len(ex.FIDs)-1] {
		t.Errorf("FID∞ = %g (slope %g, R² %g, FIDs %v); want ≈ 8 with positive slope", ex.FIDInf, ex.Slope, ex.R2, ex.FIDs)
	}
	t.Logf("FID∞ %.4f slope %.2f R² %.3f FIDs %v", ex.FIDInf, ex.Slope, ex.R2, ex.FIDs)
}
