// Package fidelity measures how close a variant's image is to the
// baseline's image of the same prompt and seed: PSNR and SSIM, the latter
// exactly as scikit-image computes it.
//
// Both measures read 8-bit straight (non-premultiplied) RGB and ignore
// alpha: *image.NRGBA and opaque *image.RGBA pixels as stored, any other
// pixel through color.NRGBAModel. For a PNG decoded by image/png these are
// the bytes Pillow's Image.convert("RGB") gives. The pair must have
// the same size, else a *SizeError; an image too small for a measure gives
// a *TooSmallError. A nil image is a caller mistake and panics.
//
// # PSNR
//
// With R = 255 and the mean taken over all W·H pixels and the three
// channels:
//
//	MSE  = mean((a - b)²)
//	PSNR = 10·log10(R² / MSE)          (+Inf when MSE = 0)
//
// which is skimage.metrics.peak_signal_noise_ratio(a, b, data_range=255).
//
// # SSIM
//
// SSIM reproduces
//
//	skimage.metrics.structural_similarity(a, b, channel_axis=2,
//	    gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
//	    data_range=255)
//
// on uint8 HxWx3 arrays (skimage 0.19.3, scipy 1.10.1). For each channel,
// with x and y its samples as float64:
//
//  1. G is scipy.ndimage.gaussian_filter(·, sigma=1.5, truncate=3.5,
//     mode='reflect'): the 11 weights exp(-x²/(2σ²)), x = -5…5, normalised
//     to sum 1, correlated along the rows' axis and then the columns'.
//  2. ux = G(x), uy = G(y), uxx = G(x·x), uyy = G(y·y), uxy = G(x·y).
//  3. vx = uxx - ux², vy = uyy - uy², vxy = uxy - ux·uy (population
//     covariances: cov_norm = 1).
//  4. With C1 = (0.01·255)² and C2 = (0.03·255)²:
//     S = (2·ux·uy + C1)(2·vxy + C2) / ((ux² + uy² + C1)(vx + vy + C2)).
//  5. The channel's SSIM is the mean of S over the map less a border of
//     (11-1)/2 = 5 pixels on each side (skimage's crop).
//
// SSIM is the mean of the three channels' values. Images narrower or
// shorter than WinSize = 11 pixels give a *TooSmallError, where skimage
// raises ValueError (its message says 7x7, the window of the uniform
// filter; with gaussian_weights the window is 11).
//
// Because of the crop, every value of S that is averaged reads only pixels
// inside the image: the 'reflect' padding never affects the result, so the
// filters run on interior rows and columns only, one row of the filtered
// maps at a time. Each filtered value is computed with the operations,
// order and float64 rounding of scipy's symmetric 1-D correlation, and the
// weights are scipy's bit for bit, so the filtered maps equal scipy's;
// what can differ is the summation of the map (compensated here, pairwise
// in numpy). Against skimage the golden tests (testdata/make_golden.py)
// find SSIM differences of at most 2.2e-16 and PSNR differences of at most
// 7.1e-15 dB; a 512x512 check gave 1e-16.
//
// Identical images give SSIM exactly 1 and PSNR +Inf, and both measures
// are exactly symmetric in a and b.
package fidelity
