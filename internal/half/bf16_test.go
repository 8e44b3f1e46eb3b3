package half

import (
	"math"
	"testing"
)

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
