package half

import (
	"math"
	"math/rand"
	"testing"
)

// f16Reference decodes binary16 from its definition in float64 (IEEE 754-2008 §3.4),
// independently of F16ToFloat32's bit manipulation.
func f16Reference(h uint16) float64 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e := int(h>>10) & 0x1f
	f := float64(h & 0x3ff)
	switch e {
	case 0x1f:
		if f == 0 {
			return math.Inf(int(s))
		}
		return math.NaN()
	case 0:
		return s * math.Ldexp(f, -24)
	}
	return s * math.Ldexp(1+f/1024, e-15)
}

func TestF16ToFloat32Table(t *testing.T) {
	// Expected values from the binary16 definition (IEEE 754-2008); exact, tolerance 0.
	cases := []struct {
		h    uint16
		want float64
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0400, math.Ldexp(1, -14)}, // largest finite, smallest normal
		{0x0001, math.Ldexp(1, -24)}, {0x03ff, math.Ldexp(1023, -24)}, // subnormals
		{0x8001, -math.Ldexp(1, -24)},
		{0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)},
	}
	for _, c := range cases {
		if got := F16ToFloat32(c.h); float64(got) != c.want {
			t.Errorf("F16ToFloat32(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if v := F16ToFloat32(0x8000); v != 0 || !math.Signbit(float64(v)) {
		t.Errorf("F16ToFloat32(0x8000) = %g, want -0", v)
	}
	for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00, 0x7fff} {
		if v := F16ToFloat32(h); !math.IsNaN(float64(v)) {
			t.Errorf("F16ToFloat32(%#04x) = %g, want NaN", h, v)
		}
	}
}

// TestFloat32ToF16Table checks hand-picked values. Expected bit patterns are from the
// IEEE 754 binary16 definition (1 sign, 5 exponent bits biased by 15, 10 fraction
// bits), worked out by hand and agreeing with numpy.float16(x).view(uint16); ties go
// to the even pattern. Tolerance 0: the bits must match.
func TestFloat32ToF16Table(t *testing.T) {
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
		{"1/3", 0.333333343, 0x3555},
		{"max half", 65504, 0x7bff},
		{"just below the Inf tie", 65519, 0x7bff},
		{"tie at 65520 goes to even (Inf)", 65520, 0x7c00},
		{"overflow", 1e6, 0x7c00},
		{"-Inf", float32(math.Inf(-1)), 0xfc00},
		{"smallest normal 2^-14", 1.0 / 16384, 0x0400},
		{"smallest normal as a decimal", 6.103515625e-05, 0x0400},
		{"largest subnormal", 1023.0 / (1 << 24), 0x03ff},
		{"smallest subnormal 2^-24", 1.0 / (1 << 24), 0x0001},
		{"smallest subnormal as a decimal", 5.960464477539063e-08, 0x0001},
		{"2^-25 is a tie, goes to even 0", 1.0 / (1 << 25), 0x0000},
		{"1.5*2^-25 rounds up to 2^-24", 1.5 / (1 << 25), 0x0001},
		{"3*2^-25 tie goes to even 2*2^-24", 3.0 / (1 << 25), 0x0002},
		{"underflow", 1e-10, 0x0000},
		{"float32 subnormal underflows", math.Float32frombits(1), 0x0000},
		{"1+2^-10 is a half", 1.0009765625, 0x3c01},
		{"1+2^-11 tie goes to even 1", 1 + 1.0/2048, 0x3c00},
		{"1+3*2^-11 tie goes to even 1+2^-9", 1 + 3.0/2048, 0x3c02},
		{"1+2^-11+2^-20 rounds up", 1 + 1.0/2048 + 1.0/(1<<20), 0x3c01},
		{"subnormal mantissa carry to normal", 2047.0 / (1 << 25), 0x0400},
	}
	for _, c := range cases {
		if got := Float32ToF16(c.in); got != c.want {
			t.Errorf("%s: Float32ToF16(%g) = %#04x, want %#04x", c.name, c.in, got, c.want)
		}
	}
	if h := Float32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN became %#04x, not a NaN", h)
	}
	// A NaN whose payload sits below the 10 bits a half keeps must stay a NaN.
	if h := Float32ToF16(math.Float32frombits(0x7f800001)); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN 0x7f800001 became %#04x, not a NaN", h)
	}
}

// TestF16Exhaustive checks all 65,536 halves against the float64 definition and that
// Float32ToF16 inverts F16ToFloat32 bit for bit (NaN payloads included).
func TestF16Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := F16ToFloat32(h)
		want := f16Reference(h)
		if math.IsNaN(want) != math.IsNaN(float64(got)) || (!math.IsNaN(want) && float64(got) != want) {
			t.Fatalf("F16ToFloat32(%#04x) = %g, want %g", h, got, want)
		}
		if back := Float32ToF16(got); back != h {
			t.Fatalf("Float32ToF16(F16ToFloat32(%#04x)) = %#04x", h, back)
		}
	}
}

// TestFloat32ToF16Rounding checks round-to-nearest-even against the neighbouring halves:
// no other half is nearer, and at a tie the result has an even fraction.
func TestFloat32ToF16Rounding(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	check := func(f float32) {
		h := Float32ToF16(f)
		got := float64(F16ToFloat32(h))
		x := float64(f)
		if math.IsInf(got, 0) {
			// Overflow: x must be at least halfway between 65504 and 65536 (= 2^16).
			if math.Abs(x) < 65520 {
				t.Fatalf("Float32ToF16(%g) = Inf", f)
			}
			return
		}
		d := math.Abs(got - x)
		for _, nb := range []uint16{h - 1, h + 1, h ^ 0x8000} {
			v := f16Reference(nb)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			dn := math.Abs(v - x)
			if dn < d || (dn == d && h&1 == 1 && nb&1 == 0 && v != got) {
				t.Fatalf("Float32ToF16(%g) = %#04x (%g); %#04x (%g) is nearer or an even tie", f, h, got, nb, v)
			}
		}
	}
	for i := 0; i < 200000; i++ {
		check(math.Float32frombits(rng.Uint32() & 0x7fffffff))
		check(float32(rng.NormFloat64() * math.Pow(2, float64(rng.Intn(44)-30))))
	}
	// Exact ties: halfway between consecutive halves, normal and subnormal.
	for _, h := range []uint16{0x3c00, 0x3c01, 0x0001, 0x0002, 0x03ff, 0x7bfe} {
		mid := (f16Reference(h) + f16Reference(h+1)) / 2
		check(float32(mid))
	}
	// Half of the smallest subnormal is a tie with zero (even): rounds to 0; just above
	// it rounds up.
	if h := Float32ToF16(float32(math.Ldexp(1, -25))); h != 0 {
		t.Errorf("Float32ToF16(2^-25) = %#04x, want 0", h)
	}
	if h := Float32ToF16(math.Nextafter32(float32(math.Ldexp(1, -25)), 1)); h != 1 {
		t.Errorf("Float32ToF16(next(2^-25)) = %#04x, want 1", h)
	}
}
