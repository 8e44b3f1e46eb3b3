package fidelity

import "image"

// A Result holds both measures of one image pair: PSNR in decibels (+Inf
// for identical images) and mean SSIM.
type Result struct {
	PSNR float64
	SSIM float64
}

// Compare returns PSNR(a, b) and SSIM(a, b), converting each image once.
// On error (a *SizeError or *TooSmallError) the Result is zero.
func Compare(a, b image.Image) (Result, error) {
	pa, pb, err := pair(a, b)
	if err != nil {
		return Result{}, err
	}
	s, err := ssim(pa, pb)
	if err != nil {
		return Result{}, err
	}
	p, err := psnr(pa, pb)
	if err != nil {
		return Result{}, err
	}
	return Result{PSNR: p, SSIM: s}, nil
}
