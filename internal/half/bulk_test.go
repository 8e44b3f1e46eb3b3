package half

import (
	"math"
	"math/rand"
	"testing"
)

// allPatterns returns the 65,536 16-bit patterns in order, and as little-endian bytes.
func allPatterns() ([]uint16, []byte) {
	hs := make([]uint16, 1<<16)
	raw := make([]byte, 2<<16)
	for i := range hs {
		hs[i] = uint16(i)
		raw[2*i], raw[2*i+1] = byte(i), byte(i>>8)
	}
	return hs, raw
}

// TestBulkAllHalves checks the table paths (F16sToFloat32s, DecodeF16) against
// F16ToFloat32 on every pattern, bit for bit (NaN payloads and -0 included), and that
// Float32sToF16s inverts them.
func TestBulkAllHalves(t *testing.T) {
	hs, raw := allPatterns()
	fromSlice := F16sToFloat32s(hs)
	fromBytes := make([]float32, len(hs))
	DecodeF16(fromBytes, raw)
	for i, h := range hs {
		want := math.Float32bits(F16ToFloat32(h))
		if math.Float32bits(fromSlice[i]) != want || math.Float32bits(fromBytes[i]) != want {
			t.Fatalf("%#04x: F16sToFloat32s %g, DecodeF16 %g, F16ToFloat32 %g", h, fromSlice[i], fromBytes[i], F16ToFloat32(h))
		}
	}
	back := Float32sToF16s(fromSlice)
	for i, h := range hs {
		if back[i] != h {
			t.Fatalf("Float32sToF16s(F16sToFloat32s(%#04x)) = %#04x", h, back[i])
		}
	}
}

func TestDecodeF16Panics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("DecodeF16 with 3 bytes for 2 values did not panic")
		}
	}()
	DecodeF16(make([]float32, 2), make([]byte, 3))
}

func benchHalves() []uint16 {
	rng := rand.New(rand.NewSource(1))
	v := make([]float32, 1<<20)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return Float32sToF16s(v)
}

// BenchmarkF16sToFloat32s measures the table conversion on 1M normal-distributed halves.
func BenchmarkF16sToFloat32s(b *testing.B) {
	hs := benchHalves()
	b.SetBytes(int64(2 * len(hs)))
	for b.Loop() {
		F16sToFloat32s(hs)
	}
}

// BenchmarkF16ToFloat32Loop is the field-decoding loop the table replaces.
func BenchmarkF16ToFloat32Loop(b *testing.B) {
	hs := benchHalves()
	out := make([]float32, len(hs))
	b.SetBytes(int64(2 * len(hs)))
	for b.Loop() {
		for i, h := range hs {
			out[i] = F16ToFloat32(h)
		}
	}
}
