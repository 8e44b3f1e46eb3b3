package half

import "sync"

// f16Table returns every binary16 value as float32 (256 KiB, built once): a lookup is
// several times faster than decoding fields for bulk conversion.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = F16ToFloat32(uint16(i))
	}
	return &t
})

// F16sToFloat32s converts binary16 values to float32 (exactly, as F16ToFloat32 does).
func F16sToFloat32s(src []uint16) []float32 {
	tab := f16Table()
	out := make([]float32, len(src))
	for i, h := range src {
		out[i] = tab[h]
	}
	return out
}

// Float32sToF16s rounds float32 values to binary16 with Float32ToF16.
func Float32sToF16s(src []float32) []uint16 {
	out := make([]uint16, len(src))
	for i, v := range src {
		out[i] = Float32ToF16(v)
	}
	return out
}

// DecodeF16 converts little-endian binary16 bytes to float32 into dst (exactly, as
// F16ToFloat32 does). It panics unless len(src) == 2*len(dst).
func DecodeF16(dst []float32, src []byte) {
	if len(src) != 2*len(dst) {
		panic("half: DecodeF16: src must hold 2 bytes per dst element")
	}
	tab := f16Table()
	for i := range dst {
		b := src[2*i : 2*i+2 : 2*i+2]
		dst[i] = tab[uint16(b[0])|uint16(b[1])<<8]
	}
}
