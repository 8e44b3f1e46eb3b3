package half

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// finiteHalves returns the non-negative finite halves in increasing order with their
// float64 values: the reference for nearest rounding.
func finiteHalves() ([]uint16, []float64) {
	var hs []uint16
	var vs []float64
	for h := uint16(0); h < 0x7c00; h++ {
		hs = append(hs, h)
		vs = append(vs, f16Reference(h))
	}
	return hs, vs
}

// nearestHalf is the slow reference: the nearest half to |f| by search, ties to the
// even pattern, with values at or beyond 65520 going to Inf.
func nearestHalf(f float32, hs []uint16, vs []float64) uint16 {
	sign := uint16(0)
	x := float64(f)
	if x < 0 || (x == 0 && math.Signbit(x)) {
		sign, x = 0x8000, -x
	}
	if x >= 65520 {
		return sign | 0x7c00
	}
	i := sort.SearchFloat64s(vs, x)
	if i == len(vs) {
		return sign | hs[len(hs)-1]
	}
	if vs[i] == x || i == 0 {
		return sign | hs[i]
	}
	lo, hi := x-vs[i-1], vs[i]-x
	switch {
	case lo < hi:
		return sign | hs[i-1]
	case hi < lo:
		return sign | hs[i]
	case hs[i]&1 == 0:
		return sign | hs[i]
	}
	return sign | hs[i-1]
}

// TestFloat32ToF16Nearest compares with the search reference on seeded random bit
// patterns spread over the whole float32 range near the half range, and on every
// midpoint between neighbouring halves.
func TestFloat32ToF16Nearest(t *testing.T) {
	hs, vs := finiteHalves()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		// Exponents 2^-30 .. 2^17 cover underflow, subnormals and overflow.
		exp := uint32(97 + rng.IntN(48))
		f := math.Float32frombits(rng.Uint32()&0x807fffff | exp<<23)
		if got, want := Float32ToF16(f), nearestHalf(f, hs, vs); got != want {
			t.Fatalf("Float32ToF16(%g [%#08x]) = %#04x, reference %#04x", f, math.Float32bits(f), got, want)
		}
	}
	for i := 1; i < len(vs); i++ {
		mid := float32((vs[i-1] + vs[i]) / 2) // exact in float32
		if got, want := Float32ToF16(mid), nearestHalf(mid, hs, vs); got != want {
			t.Fatalf("midpoint %g: got %#04x, reference %#04x", mid, got, want)
		}
	}
}

// FuzzFloat32ToF16 checks any float32 against the search reference.
func FuzzFloat32ToF16(f *testing.F) {
	hs, vs := finiteHalves()
	for _, seed := range []uint32{0x3f800000, 0x477ff000, 0x33000000, 0x7fc00000, 0x80000001} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		x := math.Float32frombits(bits)
		got := Float32ToF16(x)
		if math.IsNaN(float64(x)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#08x became %#04x", bits, got)
			}
			return
		}
		if want := nearestHalf(x, hs, vs); got != want {
			t.Fatalf("Float32ToF16(%g [%#08x]) = %#04x, reference %#04x", x, bits, got, want)
		}
	})
}
