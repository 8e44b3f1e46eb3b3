package fid

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchStats are two full-rank 2048-d statistics from seeded Gaussian
// features (4096 rows each, second set scaled and shifted), built once.
var benchStats = sync.OnceValues(func() (*Stats, *Stats) {
	const n, d = 4096, 2048
	rng := rand.New(rand.NewPCG(2024, 6))
	mk := func(scale, shift float64) *Stats {
		x := mat.NewDense(n, d, nil)
		raw := x.RawMatrix().Data
		for i := range raw {
			raw[i] = scale*rng.NormFloat64() + shift
		}
		return StatsOf(x)
	}
	return mk(1, 0), mk(1.1, 0.05)
})

// BenchmarkFrechet2048 times one exact FID between two full-rank 2048-d
// statistics (the statistics are built outside the timer). Compare with
// pytorch-fid via benchmarks/fid.md.
func BenchmarkFrechet2048(b *testing.B) {
	s1, s2 := benchStats()
	b.Logf("backend: %s", Backend())
	b.ResetTimer()
	for b.Loop() {
		if _, err := Frechet(s1, s2, Exact); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFrechet2048Compat times the PytorchFIDCompat route (Σ Re√λ of
// the nonsymmetric Σ1Σ2) on the same statistics.
func BenchmarkFrechet2048Compat(b *testing.B) {
	s1, s2 := benchStats()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Frechet(s1, s2, PytorchFIDCompat); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteBenchStats writes the benchmark statistics as pytorch-fid .npz
// files into $FID_BENCH_DIR, with our FID values, for the side-by-side timing
// in benchmarks/fid.md. Skipped unless FID_BENCH_DIR is set.
func TestWriteBenchStats(t *testing.T) {
	dir := os.Getenv("FID_BENCH_DIR")
	if dir == "" {
		t.Skip("set FID_BENCH_DIR to write the benchmark statistics")
	}
	s1, s2 := benchStats()
	for i, s := range []*Stats{s1, s2} {
		if err := WriteStats(filepath.Join(dir, []string{"bench_1.npz", "bench_2.npz"}[i]), s); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []Method{Exact, PytorchFIDCompat} {
		r, err := Frechet(s1, s2, m)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v (%s): FID %.17g", m, Backend(), r.FID)
	}
}
