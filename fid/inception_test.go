package fid

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"gonum.org/v1/gonum/mat"
)

func readFeatures(t testing.TB, set string) *mat.Dense {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(fixtures, "inception_det", "features_"+set+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	return mat.NewDense(a.Shape[0], a.Shape[1], a.Float64s())
}

// TestFrechetInception: pytorch-fid's 2048-d activations of the fixture
// image sets (110, 106, 110 images: singular covariances). Expected values
// are the exact ones of inception_det/fid_exact_samples_route.json; pytorch-fid
// itself reads about 1e-2 lower (manifest.json "fid"). The tolerance 1e-4 is
// relative; the routes agree far closer (logged).
func TestFrechetInception(t *testing.T) { forEachBackend(t, testFrechetInception) }

func testFrechetInception(t *testing.T) {
	feats := map[string]*mat.Dense{}
	for _, s := range []string{"setA", "setB", "setC"} {
		feats[s] = readFeatures(t, s)
	}
	cases := []struct {
		a, b       string
		exact      float64 // fid_exact_samples_route.json
		pytorchFID float64 // manifest.json fid.<pair>.fid
	}{
		{"setA", "setB", 161.85033241452038, 161.83867599253426},
		{"setA", "setC", 3.9210038369146787, 3.908885607284901},
		{"setB", "setC", 166.0602592290761, 166.04873720734577},
	}
	const tol = 1e-9
	for _, c := range cases {
		t.Run(c.a+"-"+c.b, func(t *testing.T) {
			sm, err := FrechetFeatures(feats[c.a], feats[c.b])
			if err != nil {
				t.Fatal(err)
			}
			if sm.Route != "samples" {
				t.Errorf("route %q, want samples", sm.Route)
			}
			st, err := Frechet(StatsOf(feats[c.a]), StatsOf(feats[c.b]), Exact)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []*Result{sm, st} {
				if e := relErr(r.FID, c.exact); e > tol {
					t.Errorf("%s route: FID %.17g, want %.17g (rel err %.2g)", r.Route, r.FID, c.exact, e)
				}
				if len(r.Warnings) == 0 {
					t.Errorf("%s route: no warning for n < d", r.Route)
				}
			}
			// pytorch-fid's value is measurably different: the exact routes
			// must not drift towards it.
			if math.Abs(st.FID-c.pytorchFID) < 1e-3 {
				t.Errorf("statistics route %.17g is within 1e-3 of pytorch-fid's %.17g", st.FID, c.pytorchFID)
			}
			t.Logf("samples %.17g (rel %.2g)  statistics %.17g (rel %.2g, ranks %d/%d)",
				sm.FID, relErr(sm.FID, c.exact), st.FID, relErr(st.FID, c.exact), st.Rank1, st.Rank2)
		})
	}
}

// TestStatsOfMatchesNumpy: mu of setA against np.mean (mu_setA.npy).
func TestStatsOfMatchesNumpy(t *testing.T) {
	x := readFeatures(t, "setA")
	mu, err := npy.ReadFile(filepath.Join(fixtures, "inception_det", "mu_setA.npy"))
	if err != nil {
		t.Fatal(err)
	}
	s := StatsOf(x)
	for i, want := range mu.Float64s() {
		if math.Abs(s.Mu[i]-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Fatalf("mu[%d] = %.17g, numpy %.17g", i, s.Mu[i], want)
		}
	}
}

// TestGramRouteMatchesSVD checks the fast route of exactTrSqrt (eigenvalues of
// GᵀG) against the SVD of G on the inception_det statistics, whose G has
// singular values down to ~1e-7·σ_max, and on the benchmark's full-rank pair.
func TestGramRouteMatchesSVD(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		type pair struct {
			name   string
			s1, s2 *Stats
		}
		a, b, c := StatsOf(readFeatures(t, "setA")), StatsOf(readFeatures(t, "setB")), StatsOf(readFeatures(t, "setC"))
		pairs := []pair{{"A-B", a, b}, {"A-C", a, c}, {"B-C", b, c}}
		if Backend() != (gonumLinalg{}).name() {
			s1, s2 := benchStats()
			pairs = append(pairs, pair{"bench2048", s1, s2})
		} else {
			t.Log("the full-rank 2048-d pair runs with a LAPACK backend only (about 45 s in pure Go)")
		}
		for _, p := range pairs {
			b1, r1 := psdFactor(p.s1)
			b2, r2 := psdFactor(p.s2)
			if r1 > r2 {
				b1, b2, r1, r2 = b2, b1, r2, r1
			}
			g := make([]float64, r2*r1)
			la.gemm(true, false, r2, r1, p.s1.D, 1, b2, r2, b1, r1, 0, g, r1)
			rest := meanTerm(p.s1.Mu, p.s2.Mu) + p.s1.Trace() + p.s2.Trace()
			fast, bound, ok := gramTrace(append([]float64(nil), g...), r1, r2)
			sv, _ := la.svdVals(r2, r1, g)
			var svd neumaier
			for _, v := range sv {
				svd.add(v)
			}
			taken := ok && gramPrecise(fast, bound, rest)
			t.Logf("%s: ranks %d, %d; |GᵀG − SVD| = %.3g, bound %.3g; fast route taken: %v", p.name, r1, r2, math.Abs(fast-svd.value()), bound, taken)
			// The bound must hold whether or not the route is taken.
			if !ok || math.Abs(fast-svd.value()) > bound+4*eps*svd.value() {
				t.Errorf("%s: tr√ %.17g by GᵀG, %.17g by SVD: difference beyond the bound %.3g", p.name, fast, svd.value(), bound)
			}
		}
	})
}
