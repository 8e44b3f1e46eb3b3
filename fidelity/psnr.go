package fidelity

import (
	"image"
	"math"
)

// DataRange is the dynamic range R of 8-bit samples, 255, that both
// measures use (skimage's data_range=255).
const DataRange = 255

// PSNR returns the peak signal-to-noise ratio of b against a, in decibels:
//
//	MSE  = Σ (a - b)² / (3·W·H)   over all pixels and the R, G, B channels
//	PSNR = 10·log10(255² / MSE)
//
// as skimage.metrics.peak_signal_noise_ratio(a, b, data_range=255) gives
// on uint8 HxWx3 arrays. Alpha is ignored. Identical images have MSE 0 and
// PSNR +Inf (skimage returns inf too, with a divide-by-zero warning).
// Images of different sizes give a *SizeError, empty ones a *TooSmallError.
func PSNR(a, b image.Image) (float64, error) {
	pa, pb, err := pair(a, b)
	if err != nil {
		return 0, err
	}
	return psnr(pa, pb)
}

// psnr is PSNR on converted images of equal size. The squared differences
// are summed as integers, so MSE is the correctly rounded quotient, as
// numpy's (exact) float64 sum gives.
func psnr(a, b *rgb) (float64, error) {
	if a.w < 1 || a.h < 1 {
		return 0, &TooSmallError{Measure: "PSNR", Size: a.size(), Min: 1}
	}
	var sse int64
	for k := range a.c {
		ca, cb := a.c[k], b.c[k][:len(a.c[k])]
		for i, v := range ca {
			d := int64(v) - int64(cb[i])
			sse += d * d
		}
	}
	if sse == 0 {
		return math.Inf(1), nil
	}
	mse := float64(sse) / float64(3*a.w*a.h)
	return 10 * math.Log10(DataRange*DataRange/mse), nil
}
