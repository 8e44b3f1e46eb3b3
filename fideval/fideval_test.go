package fideval

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// writeImages writes n random w×h RGB PNGs named img000.png… into a new folder under
// parent, drawn from a PCG seeded with seed (brightness offset shifts the set's mean).
func writeImages(t *testing.T, parent string, name string, n, w, h int, seed uint64, offset int) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range n {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("img%03d.png", i)), w, h, rng, offset)
	}
	return dir
}

func writePNG(t *testing.T, path string, w, h int, rng *rand.Rand, offset int) {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := func() uint8 { return uint8(min(255, rng.IntN(256-offset)+offset)) }
			m.SetNRGBA(x, y, color.NRGBA{v(), v(), v(), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
}

// newEvaluator returns an Evaluator on the formula weights with dims-d features,
// closed at the end of the test.
func newEvaluator(t *testing.T, dims, batch int, progress func(done, total int)) *Evaluator {
	t.Helper()
	orttest.Require(t)
	e, err := New(Config{Dims: dims, BatchSize: batch, Weights: inception.FormulaSpec, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestCompareRoutes checks that Compare gives exactly what the fid package gives on
// the same features and statistics (the expected values are fid.FrechetFeatures and
// fid.Frechet called directly), for each route Compare can take.
func TestCompareRoutes(t *testing.T) {
	ctx := context.Background()
	e := newEvaluator(t, 64, 3, nil)
	tmp := t.TempDir()
	a, err := e.Folder(ctx, writeImages(t, tmp, "a", 5, 24, 16, 1, 0), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Folder(ctx, writeImages(t, tmp, "b", 6, 20, 20, 2, 60), false)
	if err != nil {
		t.Fatal(err)
	}
	if a.N != 5 || b.N != 6 || a.Features == nil || b.Features == nil || a.Kind != KindImages {
		t.Fatalf("sets: N %d, %d, features kept %v, %v, kind %q; want 5, 6 with features (N <= Dims)", a.N, b.N, a.Features != nil, b.Features != nil, a.Kind)
	}
	// The statistics of a folder are those of its kept features.
	if want := fid.StatsOf(a.Features); !closeSlices(a.Stats.Sigma, want.Sigma, 1e-12) || !closeSlices(a.Stats.Mu, want.Mu, 1e-12) {
		t.Errorf("statistics of a differ from fid.StatsOf(features)")
	}
	npz := filepath.Join(tmp, "a.npz")
	if err := fid.WriteStats(npz, a.Stats); err != nil {
		t.Fatal(err)
	}
	aStats, err := e.Load(ctx, npz, true)
	if err != nil {
		t.Fatal(err)
	}
	if aStats.Kind != KindStatistics || aStats.Features != nil {
		t.Fatalf("Load(.npz): kind %q, features %v", aStats.Kind, aStats.Features != nil)
	}
	samples, err := fid.FrechetFeatures(a.Features, b.Features)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := fid.Frechet(aStats.Stats, b.Stats, fid.Exact)
	if err != nil {
		t.Fatal(err)
	}
	compat, err := fid.Frechet(a.Stats, b.Stats, fid.PytorchFIDCompat)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		a, b   *Set
		method fid.Method
		want   *fid.Result
	}{
		{"folders, exact: samples route", a, b, fid.Exact, samples},
		{"npz and folder, exact: statistics route", aStats, b, fid.Exact, stats},
		{"folders, pytorch-fid", a, b, fid.PytorchFIDCompat, compat},
	}
	for _, c := range cases {
		rep, err := Compare(c.a, c.b, CompareOptions{Method: c.method})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rep.FID != c.want.FID || rep.TrSqrt != c.want.TrSqrt || rep.MeanTerm != c.want.MeanTerm || rep.Method != c.method.String() {
			t.Errorf("%s: FID %v (tr_sqrt %v), want %v (%v) exactly", c.name, rep.FID, rep.TrSqrt, c.want.FID, c.want.TrSqrt)
		}
		if len(rep.Warnings) != len(c.want.Warnings) || rep.Dims != 64 || len(rep.Inputs) != 2 {
			t.Errorf("%s: report %+v, want %d warnings, dims 64, 2 inputs", c.name, rep, len(c.want.Warnings))
		}
	}
	// Both exact routes compute the same number, to round-off.
	if r := math.Abs(samples.FID-stats.FID) / samples.FID; r > 1e-9 {
		t.Errorf("samples route %v, statistics route %v: relative %.3g > 1e-9", samples.FID, stats.FID, r)
	}
	// The extras, on the same seed, are the fid package's.
	rep, err := Compare(a, b, CompareOptions{KID: true, Interval: 3, Reps: 4, FIDInf: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	k := fid.KID(a.Features, b.Features, fid.KIDOptions{Seed: 7})
	if rep.KID == nil || rep.KID.Mean != k.Mean || rep.KID.SubsetSize != 5 {
		t.Errorf("KID %+v, want mean %v over subsets of 5", rep.KID, k.Mean)
	}
	if iv := rep.Interval; iv == nil || iv.Reps != 4 || iv.Size != 3 || !(iv.Lo <= iv.Mean && iv.Mean <= iv.Hi) {
		t.Errorf("interval %+v", iv)
	}
	if fi := rep.FIDInf; fi == nil || len(fi.Sizes) != 3 || fi.Sizes[2] != 5 || math.Abs(fi.FIDs[2]-samples.FID) > 1e-9*samples.FID {
		t.Errorf("FID∞ %+v, want 3 sizes ending at all 5 images, FID %v", fi, samples.FID)
	}
}

func closeSlices(x, y []float64, tol float64) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Abs(x[i]-y[i]) > tol*max(1, math.Abs(y[i])) {
			return false
		}
	}
	return true
}

// TestFixtureGolden computes the FID between the first 4 images of the fixture sets
// setA and setB with the formula weights (2048-d) and compares it with the exact FID
// of pytorch-fid's features of the same images (fixtures inception_det/
// features_set{A,B}.npy, by fid.FrechetFeatures), as inception's TestSetFeatures does.
func TestFixtureGolden(t *testing.T) {
	const n = 4
	fixtures := filepath.Join("..", "..", "shared", "fixtures", "fid")
	e := newEvaluator(t, 2048, 50, nil)
	sets := map[string]*Set{}
	want := map[string]*mat.Dense{}
	for _, s := range []string{"setA", "setB"} {
		files, err := inception.ListImages(filepath.Join(fixtures, "images", s))
		if err != nil {
			t.Fatal(err)
		}
		if sets[s], err = e.Files(context.Background(), files[:n], false); err != nil {
			t.Fatal(err)
		}
		arr := testutil.ReadNPY(t, filepath.Join(fixtures, "inception_det", "features_"+s+".npy"))
		want[s] = mat.NewDense(n, 2048, arr.Float64s()[:n*2048])
	}
	ref, err := fid.FrechetFeatures(want["setA"], want["setB"])
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Compare(sets["setA"], sets["setB"], CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := math.Abs(rep.FID-ref.FID) / ref.FID; r > 1e-4 {
		t.Errorf("FID %v, pytorch-fid's features give %v (relative %.3g > 1e-4)", rep.FID, ref.FID, r)
	}
}

// TestReferenceCache checks that a second Reference over unchanged images reads the
// cache (identical statistics and features, no network opened, no progress calls) and
// that changing one image's content, or the feature size, changes the hash.
func TestReferenceCache(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	dir := writeImages(t, tmp, "ref", 4, 16, 16, 3, 0)
	cache := filepath.Join(tmp, "cache")
	calls := 0
	count := func(int, int) { calls++ }

	first, err := newEvaluator(t, 64, 2, count).Reference(ctx, dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || first.Hash == "" || first.Features == nil || first.N != 4 || first.Path != dir {
		t.Fatalf("first Reference: %d progress calls, hash %q, features %v, N %d", calls, first.Hash, first.Features != nil, first.N)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 || entries[0].Name() != first.Hash+".npz" {
		t.Errorf("cache holds %v, want only %s.npz", entries, first.Hash)
	}

	calls = 0
	e2 := newEvaluator(t, 64, 2, count)
	second, err := e2.Reference(ctx, dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 || e2.ext != nil {
		t.Errorf("cache hit ran Inception: %d progress calls, network opened %v", calls, e2.ext != nil)
	}
	if second.Hash != first.Hash || second.N != first.N || second.Stats.N != first.Stats.N ||
		!equalSlices(second.Stats.Mu, first.Stats.Mu) || !equalSlices(second.Stats.Sigma, first.Stats.Sigma) ||
		!mat.Equal(second.Features, first.Features) {
		t.Errorf("cached set differs from the computed one")
	}

	// Another feature size is another reference.
	other, err := newEvaluator(t, 192, 2, nil).Reference(ctx, dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	if other.Hash == first.Hash || other.Stats.D != 192 {
		t.Errorf("192-d reference: hash %s, D %d; want a new hash and D 192", other.Hash, other.Stats.D)
	}

	// Rewrite one image with other pixels: a new hash, and Inception runs again.
	writePNG(t, filepath.Join(dir, "img002.png"), 16, 16, rand.New(rand.NewPCG(99, 0)), 0)
	calls = 0
	changed, err := e2.Reference(ctx, dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Hash == first.Hash || calls == 0 || equalSlices(changed.Stats.Mu, first.Stats.Mu) {
		t.Errorf("changed image: hash %s (was %s), %d progress calls; want a new hash and a network run", changed.Hash, first.Hash, calls)
	}

	// An .npz reference is hashed by content and read as statistics.
	npz := filepath.Join(tmp, "ref.npz")
	if err := fid.WriteStats(npz, first.Stats); err != nil {
		t.Fatal(err)
	}
	s, err := e2.Reference(ctx, npz, cache)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSHA256(npz)
	if s.Kind != KindStatistics || s.Hash != sum {
		t.Errorf(".npz reference: kind %q, hash %s; want statistics, %s", s.Kind, s.Hash, sum)
	}
}

func equalSlices(x, y []float64) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// TestCancel checks that a context cancelled before or during an extraction stops it
// with context.Canceled, during one between batches.
func TestCancel(t *testing.T) {
	dir := writeImages(t, t.TempDir(), "c", 4, 16, 16, 4, 0)
	files, err := inception.ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	last := 0
	e := newEvaluator(t, 64, 1, func(done, _ int) {
		last = done
		if done == 1 {
			cancel()
		}
	})
	if _, err := e.Files(ctx, files, false); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled after the first batch: error %v, want context.Canceled", err)
	}
	if last != 1 {
		t.Errorf("%d images done after the cancel at 1", last)
	}
	if _, err := e.Folder(ctx, dir, false); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: error %v, want context.Canceled", err)
	}
}

// TestBadInputs checks that caller mistakes and bad files come back as errors naming
// what was wrong.
func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	one := writeImages(t, tmp, "one", 1, 8, 8, 5, 0)
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	text := filepath.Join(tmp, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	badNPZ := filepath.Join(tmp, "bad.npz")
	os.WriteFile(badNPZ, []byte("not a zip"), 0o644)
	missing := filepath.Join(tmp, "missing")
	e := newEvaluator(t, 64, 0, nil)
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"missing folder", func() error { _, err := e.Load(ctx, missing, false); return err }, missing + ": not an image folder"},
		{"missing folder (Folder)", func() error { _, err := e.Folder(ctx, missing, false); return err }, "missing"},
		{"one image", func() error { _, err := e.Load(ctx, one, false); return err }, one + ": 1 images"},
		{"no image", func() error { _, err := e.Folder(ctx, empty, false); return err }, empty + ": 0 images"},
		{"non-image file", func() error { _, err := e.Load(ctx, text, false); return err }, text + ": not an image folder"},
		{"non-image reference", func() error { _, err := e.Reference(ctx, text, tmp); return err }, text + ": not an image folder"},
		{"one-image reference", func() error { _, err := e.Reference(ctx, one, tmp); return err }, one + ": 1 images"},
		{"corrupt .npz", func() error { _, err := e.Load(ctx, badNPZ, false); return err }, badNPZ},
		{"one file", func() error { _, err := e.Files(ctx, []string{text}, false); return err }, "1 images, need at least 2"},
		{"undecodable file", func() error { _, err := e.Files(ctx, []string{text, text}, false); return err }, text},
		{"bad dims", func() error { _, err := New(Config{Dims: 100}); return err }, "feature size 100"},
		{"bad batch", func() error { _, err := New(Config{BatchSize: -1}); return err }, "batch size -1"},
	}
	for _, c := range cases {
		err := c.call()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestCompareErrors checks Compare's refusals on sets built in code (no network).
func TestCompareErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 0))
	feat := func(n, d int) *Set {
		x := mat.NewDense(n, d, nil)
		for i := range n {
			for j := range d {
				x.Set(i, j, rng.NormFloat64())
			}
		}
		return &Set{Path: fmt.Sprintf("%dx%d", n, d), Kind: KindImages, N: n, Stats: fid.StatsOf(x), Features: x}
	}
	a, b, wide := feat(5, 8), feat(6, 8), feat(5, 16)
	statsOnly := &Set{Path: "s.npz", Kind: KindStatistics, Stats: b.Stats}
	cases := []struct {
		name string
		a, b *Set
		opt  CompareOptions
		want string
	}{
		{"nil set", a, nil, CompareOptions{}, "two sets"},
		{"dims differ", a, wide, CompareOptions{}, "5x8 has 8-d statistics, 5x16 16-d"},
		{"KID without features", a, statsOnly, CompareOptions{KID: true}, "s.npz: KID, intervals and FID∞ need the features"},
		{"FID∞ without features", statsOnly, a, CompareOptions{FIDInf: 3}, "s.npz"},
		{"interval too large", a, b, CompareOptions{Interval: 6}, "only 5"},
		{"interval 1", a, b, CompareOptions{Interval: 1}, "interval 0 or >= 2"},
		{"reps 1", a, b, CompareOptions{Interval: 3, Reps: 1}, "reps >= 2"},
		{"FID∞ of 1 size", a, b, CompareOptions{FIDInf: 1}, "FID∞ sizes 0 or >= 2"},
		{"unknown method", a, b, CompareOptions{Method: 7}, "unknown FID method"},
	}
	for _, c := range cases {
		_, err := Compare(c.a, c.b, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
