package pipeline

import (
	"image"
	"image/draw"
	"math"
)

// ResizeLanczos resizes img to w×h with the Lanczos-3 filter as PIL's Image.resize(...,
// LANCZOS) defines it: separable, horizontal pass then vertical, each output pixel the
// normalised sum of sinc(x)·sinc(x/3) weights over the input pixels within 3 × max(1,
// in/out) of its centre ((x+0.5)·in/out), the intermediate image rounded to 8 bits as
// PIL keeps it. PIL accumulates in fixed point (22 fractional bits); this uses float64,
// so a pixel may differ from PIL's by one level. The alpha channel is dropped (opaque
// output).
func ResizeLanczos(img image.Image, w, h int) *image.RGBA {
	src := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(src, src.Bounds(), img, img.Bounds().Min, draw.Src)
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	mid := image.NewRGBA(image.Rect(0, 0, w, sh))
	kx := lanczosWeights(sw, w)
	for y := range sh {
		for x := range w {
			k := kx[x]
			for c := range 3 {
				var s float64
				for i, wt := range k.w {
					s += wt * float64(src.Pix[y*src.Stride+(k.start+i)*4+c])
				}
				mid.Pix[y*mid.Stride+x*4+c] = clip8(s)
			}
			mid.Pix[y*mid.Stride+x*4+3] = 255
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	ky := lanczosWeights(sh, h)
	for y := range h {
		k := ky[y]
		for x := range w {
			for c := range 3 {
				var s float64
				for i, wt := range k.w {
					s += wt * float64(mid.Pix[(k.start+i)*mid.Stride+x*4+c])
				}
				out.Pix[y*out.Stride+x*4+c] = clip8(s)
			}
			out.Pix[y*out.Stride+x*4+3] = 255
		}
	}
	return out
}

type taps struct {
	start int
	w     []float64
}

// lanczosWeights computes PIL's precompute_coeffs for the Lanczos filter (support 3).
func lanczosWeights(in, out int) []taps {
	scale := float64(in) / float64(out)
	fs := max(scale, 1)
	support := 3 * fs
	res := make([]taps, out)
	for x := range out {
		center := (float64(x) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		w := make([]float64, hi-lo)
		var sum float64
		for j := range w {
			w[j] = lanczos((float64(j+lo) - center + 0.5) / fs)
			sum += w[j]
		}
		if sum != 0 {
			for j := range w {
				w[j] /= sum
			}
		}
		res[x] = taps{start: lo, w: w}
	}
	return res
}

func lanczos(x float64) float64 {
	if x <= -3 || x >= 3 {
		return 0
	}
	return sinc(x) * sinc(x/3)
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

func clip8(v float64) uint8 {
	r := math.Round(v)
	return uint8(min(max(r, 0), 255))
}
