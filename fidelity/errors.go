package fidelity

import (
	"fmt"
	"image"
)

// A SizeError reports a pair of images whose sizes differ: A and B are the
// sizes (width, height) of the first and second image.
type SizeError struct {
	A, B image.Point
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("fidelity: image sizes differ: %dx%d vs %dx%d",
		e.A.X, e.A.Y, e.B.X, e.B.Y)
}

// A TooSmallError reports images too small for a measure: Measure names it
// ("SSIM" or "PSNR"), Size is the images' size (width, height) and Min the
// least width and height the measure accepts (WinSize for SSIM, 1 for
// PSNR).
type TooSmallError struct {
	Measure string
	Size    image.Point
	Min     int
}

func (e *TooSmallError) Error() string {
	return fmt.Sprintf("fidelity: %s needs images of at least %dx%d, got %dx%d",
		e.Measure, e.Min, e.Min, e.Size.X, e.Size.Y)
}
