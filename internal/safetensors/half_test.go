package safetensors

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
	if h := Float32ToF16(65519); h != 0x7bff {
		t.Errorf("Float32ToF16(65519) = %#04x, want 0x7bff", h)
	}
	if h := Float32ToF16(65520); h != 0x7c00 {
		t.Errorf("Float32ToF16(65520) = %#04x, want Inf 0x7c00", h)
	}
	if h := Float32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("Float32ToF16(NaN) = %#04x, want a NaN", h)
	}
}

func TestBF16(t *testing.T) {
	// Expected bit patterns: bfloat16 is the upper half of float32 (1.0 = 0x3f800000).
	cases := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3f80}, {-2, 0xc000}, {0, 0},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81}, // above the tie
		{float32(math.Inf(1)), 0x7f80},
		{math.MaxFloat32, 0x7f80}, // rounds to Inf
	}
	for _, c := range cases {
		if got := Float32ToBF16(c.f); got != c.want {
			t.Errorf("Float32ToBF16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
	if h := Float32ToBF16(math.Float32frombits(0x7f800001)); !math.IsNaN(float64(BF16ToFloat32(h))) {
		t.Errorf("Float32ToBF16(NaN with low payload) = %#04x, not NaN", h)
	}
	for i := 0; i < 1<<16; i++ {
		f := BF16ToFloat32(uint16(i))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := Float32ToBF16(f); back != uint16(i) {
			t.Fatalf("Float32ToBF16(BF16ToFloat32(%#04x)) = %#04x", i, back)
		}
	}
}

// TestToFloat32AllHalves checks the bulk (table) paths against the scalar conversions on
// every 16-bit pattern, bit for bit (NaN payloads included).
func TestToFloat32AllHalves(t *testing.T) {
	raw := make([]byte, 2<<16)
	for i := 0; i < 1<<16; i++ {
		raw[2*i], raw[2*i+1] = byte(i), byte(i>>8)
	}
	for _, c := range []struct {
		d   DType
		ref func(uint16) float32
	}{{F16, F16ToFloat32}, {BF16, BF16ToFloat32}} {
		got, err := ToFloat32(c.d, raw)
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range got {
			if math.Float32bits(g) != math.Float32bits(c.ref(uint16(i))) {
				t.Fatalf("%s %#04x: bulk %g, scalar %g", c.d, i, g, c.ref(uint16(i)))
			}
		}
	}
	if _, err := ToFloat32(F32, raw[:6]); err == nil {
		t.Error("ToFloat32 of 6 bytes as F32 succeeded")
	}
}
