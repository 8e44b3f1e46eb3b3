package half

import "math"

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
// largest finite half (65504, after rounding) become ±Inf, values below the subnormal
// range become ±0 and NaN stays NaN, keeping the top 10 bits of its payload (or
// becoming a quiet NaN when those are all zero).
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
