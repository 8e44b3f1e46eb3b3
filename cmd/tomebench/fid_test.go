package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/fideval"
	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// fidSubset links the first n images of a fixture set into a temporary folder.
func fidSubset(t *testing.T, set string, n int) string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join(fixtures, "fid", "images", set))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), set)
	os.Mkdir(dir, 0o755)
	for _, e := range entries[:n] {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// referenceFID is the exact FID between the first n rows of pytorch-fid's features of
// two fixture sets (inception_det/features_set*.npy), by the fid package.
func referenceFID(t *testing.T, a, b string, n int) float64 {
	t.Helper()
	rows := func(set string) *mat.Dense {
		arr, err := npy.ReadFile(filepath.Join(fixtures, "fid", "inception_det", "features_"+set+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		return mat.NewDense(n, 2048, arr.Float64s()[:n*2048])
	}
	r, err := fid.FrechetFeatures(rows(a), rows(b))
	if err != nil {
		t.Fatal(err)
	}
	return r.FID
}

// TestFIDCommand runs `tomebench fid` and `tomebench stats` with the formula weights on
// 4 images of setA and setB and compares with the FID of pytorch-fid's features of the
// same images.
func TestFIDCommand(t *testing.T) {
	orttest.Require(t)
	const n = 4
	dirA, dirB := fidSubset(t, "setA", n), fidSubset(t, "setB", n)
	want := referenceFID(t, "setA", "setB", n)

	code, out, errOut := tomebench("fid", "--weights", "formula:det", dirA, dirB)
	if code != 0 {
		t.Fatalf("fid: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	got, err := strconv.ParseFloat(strings.TrimPrefix(last, "FID: "), 64)
	if !strings.HasPrefix(last, "FID: ") || err != nil {
		t.Fatalf("last line %q, want FID: <value>", last)
	}
	if r := math.Abs(got-want) / want; r > 1e-4 {
		t.Errorf("FID %v, pytorch-fid's features give %v (relative %.3g)", got, want, r)
	}

	npz := filepath.Join(t.TempDir(), "a.npz")
	if code, _, errOut := tomebench("stats", "--weights", "formula:det", dirA, "--out", npz); code != 0 {
		t.Fatalf("stats: exit %d: %s", code, errOut)
	}
	code, out, errOut = tomebench("fid", "--json", "--kid", "--interval", "3", "--reps", "4", "--fid-inf", "3", "--weights", "formula:det", dirA, dirB)
	if code != 0 {
		t.Fatalf("fid --json --kid --interval --fid-inf: exit %d: %s", code, errOut)
	}
	var rep fideval.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if rep.FID != got || rep.KID == nil || rep.KID.SubsetSize != n || len(rep.Inputs) != 2 || rep.Inputs[0].Images != n {
		t.Errorf("JSON report %+v, want FID %v, KID over subsets of %d", rep, got, n)
	}
	if iv := rep.Interval; iv == nil || iv.Size != 3 || iv.Reps != 4 || !(iv.Lo <= iv.Mean && iv.Mean <= iv.Hi) {
		t.Errorf("interval %+v, want 4 subsamples of 3 with lo <= mean <= hi", iv)
	}
	// FID∞'s largest size is all n images of PATH1 against all of PATH2: the FID itself.
	if fi := rep.FIDInf; fi == nil || len(fi.Sizes) != 3 || fi.Sizes[2] != n || math.Abs(fi.FIDs[2]-got) > 1e-9*got {
		t.Errorf("fid_inf %+v, want 3 sizes ending at %d with FID_%d = %v", fi, n, n, got)
	}
	// From the .npz the statistics route is taken (pivoted Cholesky, fid.Frechet);
	// from two small folders the samples route (fid.FrechetFeatures): equal to round-off.
	code, out, errOut = tomebench("fid", "--weights", "formula:det", npz, dirB)
	i := strings.LastIndex(out, "FID: ")
	fromNpz, err := strconv.ParseFloat(strings.TrimSpace(out[i+5:]), 64)
	if code != 0 || i < 0 || err != nil || math.Abs(fromNpz-got) > 1e-9*got {
		t.Errorf("fid a.npz setB: exit %d, output %q (%s), want FID %v as from the folder", code, out, errOut, got)
	}
}

// TestFIDUsage checks the command-line mistakes and a missing weights file.
func TestFIDUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fid", dir}, 2, "want two paths"},
		{[]string{"fid", "--kid", "a.npz", dir}, 2, "--kid, --interval and --fid-inf need"},
		{[]string{"fid", "--interval", "10", dir, "b.npz"}, 2, "need the features"},
		{[]string{"fid", "--fid-inf", "1", dir, dir}, 2, "--fid-inf 0 or >= 2"},
		{[]string{"fid", "--dims", "100", dir, dir}, 2, "--dims 100"},
		{[]string{"fid", "--method", "scipy", dir, dir}, 2, "--method"},
		{[]string{"fid", "--save-stats", "a.npz", dir}, 2, "--save-stats"},
		{[]string{"stats", dir}, 2, "--out"},
		{[]string{"fid", filepath.Join(dir, "missing"), dir}, 1, "not an image folder"},
	}
	for _, c := range cases {
		code, _, errOut := tomebench(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
