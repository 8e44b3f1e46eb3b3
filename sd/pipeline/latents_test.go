package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLnPinned compares the pinned logarithm with the standard library's on the values
// the polar method feeds it (s in [2^-104, 1)) and on edge cases. Subnormals are left
// out: the polar method never produces them, and Go's amd64 math.Log misreads them
// (math.Log(5e-324) = -709.09, the log of the smallest normal), one more reason not to
// depend on a platform's logarithm.
func TestLnPinned(t *testing.T) {
	xs := []float64{0.5, math.Sqrt2 / 2, math.Nextafter(1, 0), 0x1p-104, 0x1p-106, 1e-300, 0.999, 0.25, 1, 2, 1e300}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		xs = append(xs, r.Float64())
	}
	worst := 0.0
	for _, x := range xs {
		if x == 0 {
			continue
		}
		got, want := lnPinned(x), math.Log(x)
		ulp := math.Abs(math.Nextafter(want, math.Inf(1)) - want)
		if d := math.Abs(got-want) / ulp; d > worst {
			worst = d
		}
		if math.Abs(got-want) > 4*ulp {
			t.Errorf("lnPinned(%g) = %.17g, math.Log %.17g", x, got, want)
		}
	}
	t.Logf("largest difference from math.Log: %.2f ulp", worst)
}

// TestGaussianDeterministic: a seed fixes the values, a longer slice extends a shorter
// one, and different seeds differ.
func TestGaussianDeterministic(t *testing.T) {
	a, b, long, other := make([]float32, 1000), make([]float32, 1000), make([]float32, 4001), make([]float32, 1000)
	Gaussian(a, 42)
	Gaussian(b, 42)
	Gaussian(long, 42)
	Gaussian(other, 43)
	if !slices.Equal(a, b) {
		t.Error("same seed, different values")
	}
	if !slices.Equal(a, long[:1000]) {
		t.Error("the first 1000 of 4001 values differ from 1000 values")
	}
	if slices.Equal(a, other) {
		t.Error("seeds 42 and 43 gave the same values")
	}
}

// TestGaussianPinned fixes the generator's output: these values were recorded from this
// implementation (Go 1.26, amd64). Gaussian's doc specifies every operation, so any
// machine must reproduce them; a change here changes every seeded image.
func TestGaussianPinned(t *testing.T) {
	first := make([]float32, 4)
	Gaussian(first, 0)
	wantFirst := []float32{pinned0, pinned1, pinned2, pinned3}
	if !slices.Equal(first, wantFirst) {
		t.Errorf("seed 0: first values %v, recorded %v", first, wantFirst)
	}
	v := make([]float32, 4*64*64)
	Gaussian(v, 42)
	h := sha256.New()
	for _, x := range v {
		binary.Write(h, binary.LittleEndian, math.Float32bits(x))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != pinnedSHA42 {
		t.Errorf("seed 42, [4, 64, 64]: SHA-256 of the float32 bits %s, recorded %s", got, pinnedSHA42)
	}
}

// TestGaussianMoments checks the distribution on 2^18 values: mean 0, variance 1,
// fourth moment 3, P(|z| < 1) = 0.6827, each within about five standard errors.
func TestGaussianMoments(t *testing.T) {
	v := make([]float32, 1<<18)
	Gaussian(v, 7)
	n := float64(len(v))
	var m1, m2, m4, in1 float64
	for _, x := range v {
		z := float64(x)
		m1 += z
		m2 += z * z
		m4 += z * z * z * z
		if math.Abs(z) < 1 {
			in1++
		}
	}
	m1, m2, m4, in1 = m1/n, m2/n, m4/n, in1/n
	cases := []struct {
		name      string
		got, want float64
		tol       float64 // about 5 standard errors at n = 2^18
	}{
		{"mean", m1, 0, 0.01},
		{"variance", m2, 1, 0.014},
		{"fourth moment", m4, 3, 0.05},
		{"P(|z|<1)", in1, 0.682689492, 0.005},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s = %.4f, want %.4f ± %g", c.name, c.got, c.want, c.tol)
		}
	}
}

// Recorded values (see TestGaussianPinned). The first four were also reproduced by an
// independent Python implementation of the documented algorithm (PCG-DXSM state update
// and output in integers, math.log in double precision, rounded to float32):
// -1.0956549644470215, 0.6942085027694702, -1.9561991691589355, -0.7414258122444153.
const (
	pinned0 = float32(-1.0956549644470215)
	pinned1 = float32(0.6942085027694702)
	pinned2 = float32(-1.9561991691589355)
	pinned3 = float32(-0.7414258122444153)

	pinnedSHA42 = "dcd1b51713a78e14e9c8da3c31ca8bb389b795255734fb65100c6eab29795984"
)
