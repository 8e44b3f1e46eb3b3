package fid

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// naiveMMD2 is the unbiased polynomial-kernel MMD² written out as in
// torch-fidelity's polynomial_mmd, element by element.
func naiveMMD2(x, y *mat.Dense) float64 {
	m, d := x.Dims()
	k := func(a, b []float64) float64 {
		return math.Pow(mat.Dot(mat.NewVecDense(d, a), mat.NewVecDense(d, b))/float64(d)+1, 3)
	}
	var xx, yy, xy float64
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			if i != j {
				xx += k(x.RawRowView(i), x.RawRowView(j))
				yy += k(y.RawRowView(i), y.RawRowView(j))
			}
			xy += k(x.RawRowView(i), y.RawRowView(j))
		}
	}
	fm := float64(m)
	return (xx+yy)/(fm*(fm-1)) - 2*xy/(fm*fm)
}

func TestKID(t *testing.T) {
	x1, x2 := readSamples(t, "d64_iv_meanoffset") // 200×64 each
	// One subset of all rows: the estimate is deterministic (every row is
	// drawn) and must equal the naive formula.
	r := KID(x1, x2, KIDOptions{Subsets: 1, SubsetSize: 1000, Seed: 1})
	if r.SubsetSize != 200 || len(r.Warnings) != 1 {
		t.Errorf("subset size %d, warnings %v; want capped at 200 with a warning", r.SubsetSize, r.Warnings)
	}
	if want := naiveMMD2(x1, x2); relErr(r.Mean, want) > 1e-12 || r.Std != 0 {
		t.Errorf("KID = %.17g ± %g, naive %.17g", r.Mean, r.Std, want)
	}
	// Same distribution: KID is unbiased, so near 0 relative to a shifted pair.
	rng := rand.New(rand.NewPCG(5, 5))
	a, b := mat.NewDense(400, 16, nil), mat.NewDense(400, 16, nil)
	for i := 0; i < 400; i++ {
		for j := 0; j < 16; j++ {
			a.Set(i, j, rng.NormFloat64())
			b.Set(i, j, rng.NormFloat64())
		}
	}
	same := KID(a, b, KIDOptions{Subsets: 50, SubsetSize: 100, Seed: 7})
	if math.Abs(same.Mean) > 3*same.Std/math.Sqrt(50)+1e-3 {
		t.Errorf("KID of one distribution = %g ± %g, want ≈ 0", same.Mean, same.Std)
	}
	shifted := KID(a, x1.Slice(0, 200, 0, 16).(*mat.Dense), KIDOptions{Subsets: 50, SubsetSize: 100, Seed: 7})
	if shifted.Mean < 10*math.Abs(same.Mean) {
		t.Errorf("KID of different distributions %g not ≫ %g", shifted.Mean, same.Mean)
	}
	again := KID(a, b, KIDOptions{Subsets: 50, SubsetSize: 100, Seed: 7})
	if again.Mean != same.Mean || again.Std != same.Std {
		t.Error("same seed gave a different KID")
	}
}
