package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
)

// F16ToFloat32 converts an IEEE 754 binary16 value (sign 1, exponent 5, fraction 10 bits)
// to float32 exactly, including subnormals (fraction × 2⁻²⁴), infinities and NaN (the
// payload is kept).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case 0: // zero or subnormal: frac × 2⁻²⁴, exact in float32
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// Float32ToF16 rounds f to the nearest binary16 value, ties to even. Values beyond the
// largest finite half (65504, after rounding) become ±Inf; NaN stays NaN.
func Float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	frac := b & 0x7fffff
	if exp == 0xff {
		if frac == 0 {
			return sign | 0x7c00
		}
		h := uint16(frac >> 13)
		if h == 0 {
			h = 0x200 // keep it a NaN
		}
		return sign | 0x7c00 | h
	}
	e := exp - 127 + 15 // binary16 biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 { // subnormal half (or zero): value = m24 × 2^(exp−150) = r × 2⁻²⁴
		if exp == 0 {
			return sign // float32 subnormals are far below half's range
		}
		shift := uint(14 - e)
		if shift > 24 {
			return sign
		}
		m := frac | 0x800000
		return sign | uint16(roundShift(m, shift))
	}
	// Normal: carry from rounding may step into the next binade or to Inf, both correct.
	return sign | uint16(roundShift(uint32(e)<<23|frac, 13))
}

// roundShift returns m >> s rounded to nearest, ties to even (1 ≤ s ≤ 31).
func roundShift(m uint32, s uint) uint32 {
	r := m >> s
	rem := m & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || (rem == half && r&1 == 1) {
		r++
	}
	return r
}

// BF16ToFloat32 converts a bfloat16 value (the upper 16 bits of a float32) to float32.
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBF16 rounds f to the nearest bfloat16, ties to even; NaN stays NaN.
func Float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: truncating could give Inf, so set a fraction bit
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// f16Table returns every binary16 value as float32 (256 KiB, built once): a lookup is
// several times faster than decoding fields for bulk conversion.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = F16ToFloat32(uint16(i))
	}
	return &t
})

// ToFloat32 converts little-endian raw data of type d to float32 (F64 is rounded to
// nearest). It fails with ErrNotFloat for non-floating types and when len(raw) is not a
// multiple of the element size.
func ToFloat32(d DType, raw []byte) ([]float32, error) {
	if !d.IsFloat() {
		return nil, ErrNotFloat
	}
	size := d.Size()
	if len(raw)%size != 0 {
		return nil, fmt.Errorf("%d bytes are not a whole number of %d-byte elements", len(raw), size)
	}
	out := make([]float32, len(raw)/size)
	switch d {
	case F32:
		for i := range out {
			b := raw[4*i : 4*i+4 : 4*i+4]
			out[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case F16:
		tab := f16Table()
		for i := range out {
			b := raw[2*i : 2*i+2 : 2*i+2]
			out[i] = tab[uint16(b[0])|uint16(b[1])<<8]
		}
	case BF16:
		for i := range out {
			b := raw[2*i : 2*i+2 : 2*i+2]
			out[i] = math.Float32frombits(uint32(b[0])<<16 | uint32(b[1])<<24)
		}
	}
	return out, nil
}
