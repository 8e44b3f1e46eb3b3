package fid

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

func TestStatsRoundTrip(t *testing.T) {
	s := readStats(t, "d64_ii_rankdef_1.npz")
	path := filepath.Join(t.TempDir(), "s.npz")
	if err := WriteStats(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStats(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.D != s.D || !slices.Equal(got.Mu, s.Mu) || !slices.Equal(got.Sigma, s.Sigma) {
		t.Fatal("round trip changed the statistics")
	}
}

// TestReadStatsErrors: each bad file gives a *StatsFileError naming the file
// and the problem.
func TestReadStatsErrors(t *testing.T) {
	f64 := func(shape ...int) *npy.Array {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return npy.NewFloat64(shape, make([]float64, n))
	}
	nan := f64(2)
	nan.F64[1] = 0 / zero
	cases := []struct {
		name   string
		arrays map[string]*npy.Array
		want   string
	}{
		{"no mu", map[string]*npy.Array{"sigma": f64(2, 2)}, "no array named mu"},
		{"no sigma", map[string]*npy.Array{"mu": f64(2)}, "no array named sigma"},
		{"mu 2-d", map[string]*npy.Array{"mu": f64(2, 1), "sigma": f64(2, 2)}, "mu has shape [2 1]"},
		{"sigma 1-d", map[string]*npy.Array{"mu": f64(2), "sigma": f64(4)}, "sigma has shape [4]"},
		{"not square", map[string]*npy.Array{"mu": f64(2), "sigma": f64(2, 3)}, "not square"},
		{"mismatch", map[string]*npy.Array{"mu": f64(3), "sigma": f64(2, 2)}, "but mu has 3 values"},
		{"ints", map[string]*npy.Array{"mu": npy.NewInt64([]int{2}, []int64{1, 2}), "sigma": f64(2, 2)}, "want floating point"},
		{"nan", map[string]*npy.Array{"mu": nan, "sigma": f64(2, 2)}, "mu[1] is NaN"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".npz")
		if err := npy.WriteNPZFile(path, c.arrays); err != nil {
			t.Fatal(err)
		}
		_, err := ReadStats(path)
		var fe *StatsFileError
		if !errors.As(err, &fe) || fe.File != path || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a StatsFileError for %s containing %q", c.name, err, path, c.want)
		}
	}
	garbage := filepath.Join(dir, "garbage.npz")
	os.WriteFile(garbage, []byte("not a zip"), 0o644)
	if _, err := ReadStats(garbage); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("garbage file: %v", err)
	}
}

var zero float64

// FuzzReadStats: arbitrary bytes never panic, and whatever is accepted has
// consistent shapes and survives a write/read round trip.
func FuzzReadStats(f *testing.F) {
	for _, name := range []string{"d64_i_wellcond_1.npz", "d64_ii_rankdef_2.npz"} {
		b, err := os.ReadFile(filepath.Join(fixtures, "synthetic_d64", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("PK\x03\x04"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "in.npz")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadStats(path)
		if err != nil {
			var fe *StatsFileError
			if !errors.As(err, &fe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(s.Mu) != s.D || len(s.Sigma) != s.D*s.D {
			t.Fatalf("accepted inconsistent stats D=%d", s.D)
		}
		out := filepath.Join(dir, "out.npz")
		if err := WriteStats(out, s); err != nil {
			t.Fatal(err)
		}
		s2, err := ReadStats(out)
		if err != nil || !slices.Equal(s2.Mu, s.Mu) || !bytes.Equal(f64bytes(s2.Sigma), f64bytes(s.Sigma)) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func f64bytes(v []float64) []byte { return npy.Encode(npy.NewFloat64([]int{len(v)}, v)) }
