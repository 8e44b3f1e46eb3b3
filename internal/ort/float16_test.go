package ort

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestFloat32ToFloat16 checks hand-picked values. Expected bit patterns are
// from the IEEE 754 binary16 definition (1 sign, 5 exponent bits biased by
// 15, 10 fraction bits), worked out by hand; ties go to the even pattern.
func TestFloat32ToFloat16(t *testing.T) {
	cases := []struct {
		name string
		in   float32
		want uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"0.1 rounds down", 0.1, 0x2e66},
		{"max half", 65504, 0x7bff},
		{"just below the Inf tie", 65519, 0x7bff},
		{"tie at 65520 goes to even (Inf)", 65520, 0x7c00},
		{"overflow", 1e6, 0x7c00},
		{"-Inf", float32(math.Inf(-1)), 0xfc00},
		{"smallest normal 2^-14", 1.0 / 16384, 0x0400},
		{"largest subnormal", 1023.0 / (1 << 24), 0x03ff},
		{"smallest subnormal 2^-24", 1.0 / (1 << 24), 0x0001},
		{"2^-25 is a tie, goes to even 0", 1.0 / (1 << 25), 0x0000},
		{"1.5*2^-25 rounds up to 2^-24", 1.5 / (1 << 25), 0x0001},
		{"3*2^-25 tie goes to even 2*2^-24", 3.0 / (1 << 25), 0x0002},
		{"underflow", 1e-10, 0x0000},
		{"1+2^-11 tie goes to even 1", 1 + 1.0/2048, 0x3c00},
		{"1+3*2^-11 tie goes to even 1+2^-9", 1 + 3.0/2048, 0x3c02},
		{"1+2^-11+2^-20 rounds up", 1 + 1.0/2048 + 1.0/(1<<20), 0x3c01},
		{"subnormal mantissa carry to normal", 2047.0 / (1 << 25), 0x0400},
	}
	for _, c := range cases {
		if got := Float32ToFloat16(c.in); got != c.want {
			t.Errorf("%s: Float32ToFloat16(%g) = %#04x, want %#04x", c.name, c.in, got, c.want)
		}
	}
	if h := Float32ToFloat16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN became %#04x, not a NaN", h)
	}
}

// TestFloat16RoundTrip checks every one of the 65,536 half patterns: the
// float32 value converts back to the same bits (NaNs stay NaN).
func TestFloat16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := Float16ToFloat32(h)
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			if !math.IsNaN(float64(f)) {
				t.Fatalf("%#04x is a NaN, Float16ToFloat32 gave %g", h, f)
			}
			continue
		}
		if back := Float32ToFloat16(f); back != h {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
}

// finiteHalves returns the non-negative finite halves in increasing order
// with their float64 values: the reference for nearest rounding.
func finiteHalves() ([]uint16, []float64) {
	var hs []uint16
	var vs []float64
	for h := uint16(0); h < 0x7c00; h++ {
		hs = append(hs, h)
		vs = append(vs, float64(Float16ToFloat32(h)))
	}
	return hs, vs
}

// nearestHalf is the slow reference: the nearest half to |f| by search,
// ties to the even pattern, with values at or beyond 65520 going to Inf.
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

// TestFloat32ToFloat16Nearest compares with the search reference on seeded
// random bit patterns spread over the whole float32 range near the half
// range, and on every midpoint between neighbouring halves.
func TestFloat32ToFloat16Nearest(t *testing.T) {
	hs, vs := finiteHalves()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		// Exponents 2^-30 .. 2^17 cover underflow, subnormals and overflow.
		exp := uint32(97 + rng.IntN(48))
		f := math.Float32frombits(rng.Uint32()&0x807fffff | exp<<23)
		if got, want := Float32ToFloat16(f), nearestHalf(f, hs, vs); got != want {
			t.Fatalf("Float32ToFloat16(%g [%#08x]) = %#04x, reference %#04x", f, math.Float32bits(f), got, want)
		}
	}
	for i := 1; i < len(vs); i++ {
		mid := float32((vs[i-1] + vs[i]) / 2) // exact in float32
		if got, want := Float32ToFloat16(mid), nearestHalf(mid, hs, vs); got != want {
			t.Fatalf("midpoint %g: got %#04x, reference %#04x", mid, got, want)
		}
	}
}

// FuzzFloat32ToFloat16 checks any float32 against the search reference.
func FuzzFloat32ToFloat16(f *testing.F) {
	hs, vs := finiteHalves()
	for _, seed := range []uint32{0x3f800000, 0x477ff000, 0x33000000, 0x7fc00000, 0x80000001} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		x := math.Float32frombits(bits)
		got := Float32ToFloat16(x)
		if math.IsNaN(float64(x)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#08x became %#04x", bits, got)
			}
			return
		}
		if want := nearestHalf(x, hs, vs); got != want {
			t.Fatalf("Float32ToFloat16(%g [%#08x]) = %#04x, reference %#04x", x, bits, got, want)
		}
	})
}
