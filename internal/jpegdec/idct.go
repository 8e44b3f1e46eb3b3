package jpegdec

// The inverse DCT of libjpeg's default method, JDCT_ISLOW: the Loeffler–Ligtenberg–
// Moschytz algorithm in 13-bit fixed point, columns first (keeping PASS1_BITS = 2 extra
// bits), then rows. Ported from libjpeg-turbo's jidctint.c (jpeg_idct_islow); the
// constants are FIX(x) = round(x·2^13).
//
// Overflow is treated as libjpeg-turbo's SIMD versions (SSE2/AVX2/NEON, which PIL runs on
// x86-64 and arm64) treat it: the output saturates to [0, 255]. The C version instead
// wraps through a 10-bit range-limit table; the two agree whenever the un-shifted output
// lies in [−512, 511], which holds for any block an encoder produces from 8-bit pixels.

const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// descale is libjpeg's DESCALE: x/2^n rounded half up (arithmetic shift).
func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idct8 is the 1-D 8-point inverse DCT shared by both passes; in[k] is the k-th
// (already scaled) coefficient and the result is out[0..7] before descaling.
func idct8(in0, in1, in2, in3, in4, in5, in6, in7 int64) (o [8]int64) {
	// Even part: the rotator is sqrt(2)·c(−6).
	z1 := (in2 + in6) * fix0_541196100
	tmp2 := z1 - in6*fix1_847759065
	tmp3 := z1 + in2*fix0_765366865
	tmp0 := (in0 + in4) << constBits
	tmp1 := (in0 - in4) << constBits
	tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
	tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

	// Odd part (figure 8 of the paper); i0..i3 are y7, y5, y3, y1.
	t0, t1, t2, t3 := in7, in5, in3, in1
	za, zb, zc, zd := t0+t3, t1+t2, t0+t2, t1+t3
	z5 := (zc + zd) * fix1_175875602
	t0 *= fix0_298631336
	t1 *= fix2_053119869
	t2 *= fix3_072711026
	t3 *= fix1_501321110
	za *= -fix0_899976223
	zb *= -fix2_562915447
	zc = zc*-fix1_961570560 + z5
	zd = zd*-fix0_390180644 + z5
	t0 += za + zc
	t1 += zb + zd
	t2 += zb + zc
	t3 += za + zd

	o[0], o[7] = tmp10+t3, tmp10-t3
	o[1], o[6] = tmp11+t2, tmp11-t2
	o[2], o[5] = tmp12+t1, tmp12-t1
	o[3], o[4] = tmp13+t0, tmp13-t0
	return o
}

// idctIslow dequantizes the natural-order coefficients b with the natural-order
// multipliers of q, inverts the DCT and writes the 8×8 samples to dst (row stride stride),
// level-shifted by +128 and clamped.
func idctIslow(b *block, q *qtable, dst []byte, stride int) {
	var ws [blockSize]int32 // libjpeg's int workspace

	// Pass 1: columns from the input, results scaled up by 2^PASS1_BITS.
	for c := range 8 {
		deq := func(r int) int64 { return int64(int32(b[8*r+c]) * q.mult[8*r+c]) }
		if b[8+c] == 0 && b[16+c] == 0 && b[24+c] == 0 && b[32+c] == 0 &&
			b[40+c] == 0 && b[48+c] == 0 && b[56+c] == 0 {
			dc := int32(deq(0)) << pass1Bits
			for r := range 8 {
				ws[8*r+c] = dc
			}
			continue
		}
		o := idct8(deq(0), deq(1), deq(2), deq(3), deq(4), deq(5), deq(6), deq(7))
		for r := range 8 {
			ws[8*r+c] = int32(descale(o[r], constBits-pass1Bits))
		}
	}

	// Pass 2: rows from the workspace, descaled by the pass-1 bits and the factor 8
	// of the DCT's normalisation.
	for r := range 8 {
		w := ws[8*r : 8*r+8]
		out := dst[r*stride : r*stride+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := sample(descale(int64(w[0]), pass1Bits+3))
			for x := range out {
				out[x] = v
			}
			continue
		}
		o := idct8(int64(w[0]), int64(w[1]), int64(w[2]), int64(w[3]),
			int64(w[4]), int64(w[5]), int64(w[6]), int64(w[7]))
		for x := range out {
			out[x] = sample(descale(o[x], constBits+pass1Bits+3))
		}
	}
}

// sample level-shifts an IDCT output by +128 and saturates it to a byte.
func sample(v int64) byte {
	switch {
	case v < -128:
		return 0
	case v > 127:
		return 255
	}
	return byte(v + 128)
}
