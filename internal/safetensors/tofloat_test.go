package safetensors

import (
	"math"
	"testing"

	"github.com/tomebench/tomebench/internal/half"
)

// TestToFloat32AllHalves checks the bulk paths against the scalar conversions of package
// half on every 16-bit pattern, bit for bit (NaN payloads included).
func TestToFloat32AllHalves(t *testing.T) {
	raw := make([]byte, 2<<16)
	for i := 0; i < 1<<16; i++ {
		raw[2*i], raw[2*i+1] = byte(i), byte(i>>8)
	}
	for _, c := range []struct {
		d   DType
		ref func(uint16) float32
	}{{F16, half.F16ToFloat32}, {BF16, half.BF16ToFloat32}} {
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
