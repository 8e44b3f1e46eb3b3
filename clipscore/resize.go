package clipscore

import "math"

// Pillow 9.4's Image.resize(size, resample=BICUBIC) on an 8-bit RGB image
// (libImaging/Resample.c), ported operation for operation so that the result is the
// same to the bit: Keys' cubic (a = −0.5) stretched by the scale when downscaling
// (antialiasing), weights normalised in float64 and rounded to 22-bit fixed point,
// the horizontal pass first with an 8-bit intermediate, then the vertical pass.

// precisionBits is Pillow's PRECISION_BITS (32 − 8 − 2).
const precisionBits = 22

// bicubic is Pillow's bicubic_filter (a = −0.5), support 2.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return ((a+2)*x-(a+3))*x*x + 1
	}
	if x < 2 {
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

// coeffs are one pass's fixed-point weights: output i reads input samples
// lo[i] … lo[i]+len(k[i])−1 with weights k[i].
type coeffs struct {
	lo []int
	k  [][]int32
}

// precompute is Pillow's precompute_coeffs followed by normalize_coeffs_8bpc for a pass
// from in to out samples over the whole input (box 0..in).
func precompute(in, out int) coeffs {
	scale := float64(in) / float64(out)
	fs := max(scale, 1)
	support := 2 * fs
	ss := 1 / fs
	c := coeffs{lo: make([]int, out), k: make([][]int32, out)}
	w := make([]float64, 0, int(math.Ceil(support))*2+1)
	for i := range out {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0) // C's (int) truncates toward zero
		hi := min(int(center+support+0.5), in)
		w = w[:0]
		sum := 0.0
		for j := range hi - lo {
			v := bicubic((float64(j+lo) - center + 0.5) * ss)
			w = append(w, v)
			sum += v
		}
		k := make([]int32, len(w))
		for j, v := range w {
			if sum != 0 {
				v /= sum
			}
			if v < 0 {
				k[j] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[j] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.lo[i], c.k[i] = lo, k
	}
	return c
}

// clip8 is Pillow's clip8: the fixed-point sum shifted back to 8 bits, clamped.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ResizeBicubic returns im resized to w×h as Pillow 9.4's Image.resize((w, h),
// Image.BICUBIC) does for an RGB image. A same-size resize is a copy; a pass whose
// size does not change is skipped.
func ResizeBicubic(im *Image, w, h int) *Image {
	if w <= 0 || h <= 0 {
		panic("clipscore: ResizeBicubic to an empty size")
	}
	out := im
	if w != im.W {
		c := precompute(im.W, w)
		t := &Image{W: w, H: im.H, Pix: make([]uint8, w*im.H*3)}
		for y := range im.H {
			src := im.Pix[y*im.W*3 : (y+1)*im.W*3]
			dst := t.Pix[y*w*3 : (y+1)*w*3]
			for x := range w {
				lo, k := c.lo[x], c.k[x]
				for ch := range 3 {
					s := int32(1 << (precisionBits - 1))
					for j, kv := range k {
						s += int32(src[(lo+j)*3+ch]) * kv
					}
					dst[x*3+ch] = clip8(s)
				}
			}
		}
		out = t
	}
	if h != out.H {
		c := precompute(out.H, h)
		t := &Image{W: w, H: h, Pix: make([]uint8, w*h*3)}
		row := w * 3
		for y := range h {
			lo, k := c.lo[y], c.k[y]
			dst := t.Pix[y*row : (y+1)*row]
			for x := range row {
				s := int32(1 << (precisionBits - 1))
				for j, kv := range k {
					s += int32(out.Pix[(lo+j)*row+x]) * kv
				}
				dst[x] = clip8(s)
			}
		}
		out = t
	}
	if out == im {
		out = &Image{W: im.W, H: im.H, Pix: append([]uint8(nil), im.Pix...)}
	}
	return out
}
