package testutil

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

func TestMaxAbsDiff(t *testing.T) {
	nan, inf := float32(math.NaN()), math.Inf(1)
	// Expected values worked out by hand; all exact in float64 (tolerance 0).
	cases := []struct {
		name string
		a, b []float32
		want float64
	}{
		{"empty", nil, nil, 0},
		{"equal", []float32{1, -2}, []float32{1, -2}, 0},
		{"largest of several", []float32{1, 2, 3}, []float32{1.5, 0, 3}, 2},
		{"sign", []float32{-1}, []float32{1}, 2},
		{"lengths differ", []float32{1}, []float32{1, 2}, inf},
		{"NaN in a", []float32{nan, 1}, []float32{0, 5}, inf},
		{"NaN in b, after a larger value", []float32{9, 1}, []float32{0, nan}, inf},
	}
	for _, c := range cases {
		if got := MaxAbsDiff(c.a, c.b); got != c.want {
			t.Errorf("%s: MaxAbsDiff = %g, want %g", c.name, got, c.want)
		}
	}
}

func TestReadNPYAndShape64(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	if err := npy.WriteFile(path, npy.NewFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})); err != nil {
		t.Fatal(err)
	}
	a := ReadNPY(t, path)
	if !slices.Equal(a.Shape, []int{2, 3}) || !slices.Equal(a.F32, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("ReadNPY = %v %v", a.Shape, a.F32)
	}
	if s := Shape64(a.Shape); !slices.Equal(s, []int64{2, 3}) {
		t.Errorf("Shape64 = %v, want [2 3]", s)
	}
}
