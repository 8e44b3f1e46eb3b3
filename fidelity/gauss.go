package fidelity

// The Gaussian window of SSIM, as scipy.ndimage.gaussian_filter builds it
// for sigma 1.5 and truncate 3.5.
const (
	// Radius is the Gaussian window's half-width, int(3.5·1.5 + 0.5).
	Radius = 5
	// WinSize is the Gaussian window's width, 2·Radius + 1; it is also
	// the least width and height that SSIM accepts, as in skimage.
	WinSize = 2*Radius + 1
)

// gauss holds the weights g[k] for offsets ±k, k = 0…Radius: scipy's
// exp(-0.5/σ² · x²) normalised to sum 1, for σ = 1.5 and x = -5…5. They
// are the float64 values scipy 1.10.1 computes (testdata/golden.json holds
// them, and a test checks these literals against it bit for bit), written
// out so that math.Exp's last bit cannot differ from numpy's.
var gauss = [Radius + 1]float64{
	0.26601172486179436,
	0.2130055377112537,
	0.10936068950970002,
	0.036000772128430815,
	0.007598758135239186,
	0.00102838008447911,
}

// The 1-D correlations below follow scipy's NI_Correlate1D for symmetric
// weights term by term, so that each output is rounded as scipy rounds it:
//
//	out = in[0]·g[0]
//	for k = 5, 4, …, 1: out += (in[-k] + in[+k])·g[k]
//
// The float64(…) conversions forbid fused multiply-adds, which would round
// differently from scipy's separately rounded products.

// vertical correlates column-wise around row i of the w-wide planes x and
// y, writing for every column c the filtered x, y, x², y² and x·y into
// v[0…4][c]. Rows i-Radius…i+Radius must lie inside the image. The squares
// and products of 8-bit samples, and the sums of two of them, are exact
// in float64, as in skimage, which filters the float64 arrays x*x etc.
func vertical(x, y []uint8, w, i int, v *[5][]float64) {
	ux, uy, uxx, uyy, uxy := v[0][:w], v[1][:w], v[2][:w], v[3][:w], v[4][:w]
	for c := 0; c < w; c++ {
		o := i*w + c
		a, b := float64(x[o]), float64(y[o])
		g := gauss[0]
		sx := float64(a * g)
		sy := float64(b * g)
		sxx := float64(float64(a*a) * g)
		syy := float64(float64(b*b) * g)
		sxy := float64(float64(a*b) * g)
		for k := Radius; k >= 1; k-- {
			up, dn := o-k*w, o+k*w
			a0, a1 := float64(x[up]), float64(x[dn])
			b0, b1 := float64(y[up]), float64(y[dn])
			g = gauss[k]
			sx += float64((a0 + a1) * g)
			sy += float64((b0 + b1) * g)
			sxx += float64((float64(a0*a0) + float64(a1*a1)) * g)
			syy += float64((float64(b0*b0) + float64(b1*b1)) * g)
			sxy += float64((float64(a0*b0) + float64(a1*b1)) * g)
		}
		ux[c], uy[c], uxx[c], uyy[c], uxy[c] = sx, sy, sxx, syy, sxy
	}
}

// horizontal correlates the row s around column c. Columns
// c-Radius…c+Radius must lie inside the row.
func horizontal(s []float64, c int) float64 {
	s = s[c-Radius : c+Radius+1 : c+Radius+1]
	out := float64(s[Radius] * gauss[0])
	out += float64((s[Radius-5] + s[Radius+5]) * gauss[5])
	out += float64((s[Radius-4] + s[Radius+4]) * gauss[4])
	out += float64((s[Radius-3] + s[Radius+3]) * gauss[3])
	out += float64((s[Radius-2] + s[Radius+2]) * gauss[2])
	out += float64((s[Radius-1] + s[Radius+1]) * gauss[1])
	return out
}
