package testutil

import (
	"math"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

// ReadNPY reads the .npy file at path, failing the test if it cannot.
func ReadNPY(t testing.TB, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// MaxAbsDiff returns max |a[i] − b[i]| in float64. It returns +Inf when the lengths
// differ or any difference is NaN, so that a comparison d > tol always fails then.
func MaxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		v := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		d = max(d, v)
	}
	return d
}

// Shape64 converts an npy shape to the []int64 shapes of ONNX Runtime tensors.
func Shape64(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}
