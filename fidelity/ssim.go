package fidelity

import (
	"image"
	"math"
)

// The SSIM constants of Wang et al. (2004), skimage's defaults.
const (
	// K1 sets C1 = (K1·DataRange)², the luminance term's stabiliser.
	K1 = 0.01
	// K2 sets C2 = (K2·DataRange)², the contrast-structure term's stabiliser.
	K2 = 0.03
)

// c1 and c2 are (K1·R)² and (K2·R)² rounded step by step in float64, as
// Python computes (K1 * R) ** 2: 6.502500000000001 and 58.522499999999994.
// (A Go constant expression would be exact and round once, differently.)
var c1, c2 = func() (float64, float64) {
	k1, k2, r := float64(K1), float64(K2), float64(DataRange)
	a, b := k1*r, k2*r
	return a * a, b * b
}()

// SSIM returns the mean structural similarity of a and b, averaged over
// the R, G and B channels (alpha is ignored), exactly as
//
//	skimage.metrics.structural_similarity(a, b, channel_axis=2,
//	    gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
//	    data_range=255)
//
// computes it on uint8 HxWx3 arrays; see the package documentation for the
// formula. Identical images give exactly 1. Images of different sizes give
// a *SizeError; images narrower or shorter than WinSize (11) pixels, which
// skimage rejects, give a *TooSmallError.
//
// SSIM is safe for concurrent use; it allocates two 3·W·H-byte copies of
// the images and five W-element rows, nothing per pixel.
func SSIM(a, b image.Image) (float64, error) {
	pa, pb, err := pair(a, b)
	if err != nil {
		return 0, err
	}
	return ssim(pa, pb)
}

// ssim is SSIM on converted images of equal size: the mean of the three
// channels' mean SSIM, summed in channel order as numpy sums them.
func ssim(a, b *rgb) (float64, error) {
	if a.w < WinSize || a.h < WinSize {
		return 0, &TooSmallError{Measure: "SSIM", Size: a.size(), Min: WinSize}
	}
	var v [5][]float64
	buf := make([]float64, 5*a.w)
	for k := range v {
		v[k] = buf[k*a.w : (k+1)*a.w : (k+1)*a.w]
	}
	var sum float64
	for k := range a.c {
		sum += channelSSIM(a.c[k], b.c[k], a.w, a.h, &v)
	}
	return sum / 3, nil
}

// channelSSIM returns the mean of one channel's SSIM map over skimage's
// crop, rows and columns Radius…size-Radius-1. With x, y the channel's
// samples and G the separable Gaussian filter:
//
//	ux = G(x)  uy = G(y)  uxx = G(x²)  uyy = G(y²)  uxy = G(x·y)
//	vx = uxx - ux²  vy = uyy - uy²  vxy = uxy - ux·uy
//	S  = (2·ux·uy + C1)(2·vxy + C2) / ((ux² + uy² + C1)(vx + vy + C2))
//
// Every filtered value inside the crop reads only pixels inside the image,
// so scipy's 'reflect' padding never reaches the mean and none is built;
// each row of the filtered maps is made, used and overwritten in turn.
// The map is summed with Neumaier's compensation, so the sum is at least
// as accurate as numpy's pairwise one.
func channelSSIM(x, y []uint8, w, h int, v *[5][]float64) float64 {
	vux, vuy, vuxx, vuyy, vuxy := v[0], v[1], v[2], v[3], v[4]
	var sum, comp float64
	for i := Radius; i < h-Radius; i++ {
		vertical(x, y, w, i, v)
		for c := Radius; c < w-Radius; c++ {
			ux := horizontal(vux, c)
			uy := horizontal(vuy, c)
			uxx := horizontal(vuxx, c)
			uyy := horizontal(vuyy, c)
			uxy := horizontal(vuxy, c)

			vx := uxx - float64(ux*ux)
			vy := uyy - float64(uy*uy)
			vxy := uxy - float64(ux*uy)
			a1 := float64(float64(2*ux)*uy) + c1
			a2 := float64(2*vxy) + c2
			b1 := float64(float64(ux*ux)+float64(uy*uy)) + c1
			b2 := float64(vx+vy) + c2
			s := float64(a1*a2) / float64(b1*b2)

			t := sum + s
			if math.Abs(sum) >= math.Abs(s) {
				comp += (sum - t) + s
			} else {
				comp += (s - t) + sum
			}
			sum = t
		}
	}
	n := (h - 2*Radius) * (w - 2*Radius)
	return (sum + comp) / float64(n)
}
