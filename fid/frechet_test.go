package fid

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"gonum.org/v1/gonum/mat"
)

const fixtures = "../../shared/fixtures/fid"

// synthCase holds the reference values of fid_synthetic.json (pytorch-fid at
// b9c1811 with numpy 1.24.2 / scipy 1.10.1 / OpenBLAS 0.3.21; mp_samples is
// 50-digit mpmath on the samples, the exact answer).
type synthCase struct {
	name       string
	mpSamples  float64 // "mp_samples"
	pytorchFID float64 // "pytorch_fid"
	rank       int     // "rank_sigma1" (= rank_sigma2)
	exactTol   float64 // relative, Exact routes vs mp_samples
	compatTol  float64 // relative, PytorchFIDCompat vs pytorch_fid
}

var synthCases = []synthCase{
	{"d64_i_wellcond", 2.46507612123224165737964341584, 2.465076121232226, 64, 1e-12, 1e-12},
	// Singular Σ (n = 40 < d = 64): pytorch-fid reads 8.1e-8 low (1.8e-8
	// relative) from square roots of round-off eigenvalues, which depend on
	// LAPACK's operation order; compat only has to land in the same band.
	{"d64_ii_rankdef", 4.59465784516895283618117612848, 4.594657763997815, 39, 1e-12, 5e-8},
	{"d64_iii_near", 0.00106012489401918628693830787282, 0.0010601248940051988, 64, 1e-9, 1e-9},
	{"d64_iv_meanoffset", 7274.95828451566839586997771489, 7274.95828451567, 64, 1e-13, 1e-13},
}

func readStats(t *testing.T, name string) *Stats {
	t.Helper()
	s, err := ReadStats(filepath.Join(fixtures, "synthetic_d64", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readSamples(t *testing.T, name string) (*mat.Dense, *mat.Dense) {
	t.Helper()
	z, err := npy.ReadNPZFile(filepath.Join(fixtures, "synthetic_d64", name+"_samples.npz"))
	if err != nil {
		t.Fatal(err)
	}
	m := func(a *npy.Array) *mat.Dense { return mat.NewDense(a.Shape[0], a.Shape[1], a.Float64s()) }
	return m(z["X1"]), m(z["X2"])
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

func TestFrechetSynthetic(t *testing.T) { forEachBackend(t, testFrechetSynthetic) }

func testFrechetSynthetic(t *testing.T) {
	for _, c := range synthCases {
		t.Run(c.name, func(t *testing.T) {
			s1, s2 := readStats(t, c.name+"_1.npz"), readStats(t, c.name+"_2.npz")
			x1, x2 := readSamples(t, c.name)

			ex, err := Frechet(s1, s2, Exact)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(ex.FID, c.mpSamples); e > c.exactTol {
				t.Errorf("Exact from stats = %.17g, want %.17g (rel err %.2g > %.2g)", ex.FID, c.mpSamples, e, c.exactTol)
			}
			if ex.Rank1 != c.rank || ex.Rank2 != c.rank {
				t.Errorf("ranks %d, %d, want %d", ex.Rank1, ex.Rank2, c.rank)
			}
			if singular := c.rank < 64; singular != (len(ex.Warnings) > 0) {
				t.Errorf("warnings %v for rank %d", ex.Warnings, c.rank)
			}

			sm, err := FrechetFeatures(x1, x2)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(sm.FID, c.mpSamples); e > c.exactTol {
				t.Errorf("Exact from samples (%s) = %.17g, want %.17g (rel err %.2g)", sm.Route, sm.FID, c.mpSamples, e)
			}

			cp, err := Frechet(s1, s2, PytorchFIDCompat)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(cp.FID, c.pytorchFID); e > c.compatTol {
				t.Errorf("PytorchFIDCompat = %.17g, want %.17g (rel err %.2g > %.2g)", cp.FID, c.pytorchFID, e, c.compatTol)
			}
			t.Logf("exact %.17g samples %.17g compat %.17g (pytorch-fid %.17g)", ex.FID, sm.FID, cp.FID, c.pytorchFID)
		})
	}
}

// TestFrechetIdentical: the fixture's v_identical case, Σ against itself;
// the exact answer is 0 and every route must be within round-off of it
// (pytorch-fid gives -1.4e-14).
func TestFrechetIdentical(t *testing.T) {
	s := readStats(t, "d64_i_wellcond_1.npz")
	for _, m := range []Method{Exact, PytorchFIDCompat} {
		r, err := Frechet(s, s, m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.FID) > 1e-12 {
			t.Errorf("%v: FID(s, s) = %g, want 0", m, r.FID)
		}
	}
}

// TestFrechetMatchesEigenSqrt checks the factor route against the textbook
// one, Σ√λ(Σ1^{1/2} Σ2 Σ1^{1/2}) with Σ1^{1/2} from gonum's EigenSym, on the
// full-rank fixtures (where no threshold is involved).
func TestFrechetMatchesEigenSqrt(t *testing.T) {
	for _, name := range []string{"d64_i_wellcond", "d64_iv_meanoffset"} {
		s1, s2 := readStats(t, name+"_1.npz"), readStats(t, name+"_2.npz")
		d := s1.D
		var es mat.EigenSym
		if !es.Factorize(mat.NewSymDense(d, s1.Sigma), true) {
			t.Fatal("EigenSym failed")
		}
		var v mat.Dense
		es.VectorsTo(&v)
		lam := es.Values(nil)
		// root = V·diag(√max(λ,0))·Vᵀ, then M = root·Σ2·root, symmetrised.
		root := mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				x := 0.0
				for k := range lam {
					x += v.At(i, k) * math.Sqrt(math.Max(lam[k], 0)) * v.At(j, k)
				}
				root.Set(i, j, x)
			}
		}
		var m mat.Dense
		m.Mul(root, s2.SigmaDense())
		m.Mul(&m, root)
		ms := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
			}
		}
		var em mat.EigenSym
		em.Factorize(ms, false)
		want := 0.0
		for _, l := range em.Values(nil) {
			want += math.Sqrt(math.Max(l, 0))
		}
		r, err := Frechet(s1, s2, Exact)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(r.TrSqrt, want); e > 1e-12 {
			t.Errorf("%s: TrSqrt %.17g, EigenSym route %.17g (rel %.2g)", name, r.TrSqrt, want, e)
		}
	}
}
