package ort

import "math"

// Float32ToFloat16 returns the IEEE 754 half-precision bits nearest to f,
// rounding to nearest with ties to even. Values beyond the half range become
// ±Inf, values below its subnormal range become ±0 and NaN stays NaN (quiet).
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	case exp > 127+15: // overflow (half max exponent is 15)
		return sign | 0x7c00
	case exp >= 127-14: // normal half: exponent -14..15
		// Round the 23-bit mantissa to 10 bits, ties to even; a carry may
		// roll into the exponent and on to Inf, which is the right answer.
		h := uint32(exp-127+15)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	case exp >= 127-25: // subnormal half (or rounds up to the smallest)
		// f = m·2^(exp-150) with the implicit 1; a subnormal half is
		// h·2^-24, so h = m / 2^(126-exp), rounded.
		m := mant | 0x800000
		shift := uint32(126 - exp)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign // underflow to ±0
}

// Float16ToFloat32 returns the float32 value of the half-precision bits h
// (exact: every half is a float32).
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant * 2^-24.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32sToFloat16s converts a slice with Float32ToFloat16.
func Float32sToFloat16s(src []float32) []uint16 {
	out := make([]uint16, len(src))
	for i, v := range src {
		out[i] = Float32ToFloat16(v)
	}
	return out
}

// Float16sToFloat32s converts a slice with Float16ToFloat32.
func Float16sToFloat32s(src []uint16) []float32 {
	out := make([]float32, len(src))
	for i, v := range src {
		out[i] = Float16ToFloat32(v)
	}
	return out
}
