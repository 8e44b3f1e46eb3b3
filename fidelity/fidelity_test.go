package fidelity

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// noisyPair returns a seeded random w×h RGBA image and a copy with
// Gaussian noise of standard deviation sd added (clamped to 0…255).
func noisyPair(seed uint64, w, h int, sd float64) (*image.RGBA, *image.RGBA) {
	rng := rand.New(rand.NewPCG(seed, 7))
	a := image.NewRGBA(image.Rect(0, 0, w, h))
	b := image.NewRGBA(a.Rect)
	for i := range a.Pix {
		if i%4 == 3 {
			a.Pix[i], b.Pix[i] = 0xff, 0xff
			continue
		}
		v := uint8(rng.IntN(256))
		a.Pix[i] = v
		b.Pix[i] = uint8(max(0, min(255, math.Round(float64(v)+sd*rng.NormFloat64()))))
	}
	return a, b
}

// refSSIM is skimage's algorithm transcribed literally: whole float64
// maps, each filtered along rows then columns with scipy's 'reflect'
// padding (d c b a | a b c d | d c b a), the S map, its crop, its mean.
// It checks the streaming, crop-only channelSSIM against the full one.
func refSSIM(x, y []uint8, w, h int) float64 {
	n := w * h
	f := func(p func(i int) float64) []float64 {
		in, mid, out := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range in {
			in[i] = p(i)
		}
		refl := func(i, n int) int { // scipy 'reflect' for n >= Radius
			if i < 0 {
				return -i - 1
			}
			if i >= n {
				return 2*n - i - 1
			}
			return i
		}
		for r := 0; r < h; r++ { // axis 0
			for c := 0; c < w; c++ {
				s := in[r*w+c] * gauss[0]
				for k := Radius; k >= 1; k-- {
					s += (in[refl(r-k, h)*w+c] + in[refl(r+k, h)*w+c]) * gauss[k]
				}
				mid[r*w+c] = s
			}
		}
		for r := 0; r < h; r++ { // axis 1
			for c := 0; c < w; c++ {
				s := mid[r*w+c] * gauss[0]
				for k := Radius; k >= 1; k-- {
					s += (mid[r*w+refl(c-k, w)] + mid[r*w+refl(c+k, w)]) * gauss[k]
				}
				out[r*w+c] = s
			}
		}
		return out
	}
	X := func(i int) float64 { return float64(x[i]) }
	Y := func(i int) float64 { return float64(y[i]) }
	ux, uy := f(X), f(Y)
	uxx := f(func(i int) float64 { return X(i) * X(i) })
	uyy := f(func(i int) float64 { return Y(i) * Y(i) })
	uxy := f(func(i int) float64 { return X(i) * Y(i) })
	var sum float64
	for r := Radius; r < h-Radius; r++ {
		for c := Radius; c < w-Radius; c++ {
			i := r*w + c
			vx, vy, vxy := uxx[i]-ux[i]*ux[i], uyy[i]-uy[i]*uy[i], uxy[i]-ux[i]*uy[i]
			sum += (2*ux[i]*uy[i] + c1) * (2*vxy + c2) /
				((ux[i]*ux[i] + uy[i]*uy[i] + c1) * (vx + vy + c2))
		}
	}
	return sum / float64((h-2*Radius)*(w-2*Radius))
}

// TestStreamingMatchesFull compares SSIM with refSSIM on seeded images of
// assorted sizes and noise levels. Tolerance 1e-14: the two differ only in
// how the map is summed.
func TestStreamingMatchesFull(t *testing.T) {
	for i, tc := range []struct {
		w, h int
		sd   float64
	}{{11, 11, 30}, {12, 11, 5}, {11, 17, 80}, {33, 20, 10}, {64, 64, 2}, {100, 37, 40}} {
		a, b := noisyPair(uint64(i), tc.w, tc.h, tc.sd)
		got, err := SSIM(a, b)
		if err != nil {
			t.Fatal(err)
		}
		pa, pb := toRGB(a), toRGB(b)
		var want float64
		for k := range pa.c {
			want += refSSIM(pa.c[k], pb.c[k], tc.w, tc.h)
		}
		want /= 3
		if d := math.Abs(got - want); d > 1e-14 {
			t.Errorf("%dx%d sd %v: SSIM %.17g, full-map reference %.17g (diff %.3g)",
				tc.w, tc.h, tc.sd, got, want, d)
		}
	}
}

// TestProperties checks properties that hold exactly: symmetry in a and b,
// identical images giving SSIM 1 and PSNR +Inf, and results independent of
// the images' bounds origin and of their Go image type.
func TestProperties(t *testing.T) {
	a, b := noisyPair(42, 40, 30, 12)
	s, _ := SSIM(a, b)
	p, _ := PSNR(a, b)
	if s2, _ := SSIM(b, a); s2 != s {
		t.Errorf("SSIM(b, a) = %.17g, SSIM(a, b) = %.17g", s2, s)
	}
	if p2, _ := PSNR(b, a); p2 != p {
		t.Errorf("PSNR(b, a) = %.17g, PSNR(a, b) = %.17g", p2, p)
	}
	if s1, _ := SSIM(a, a); s1 != 1 {
		t.Errorf("SSIM(a, a) = %.17g, want 1", s1)
	}
	if p1, _ := PSNR(a, a); !math.IsInf(p1, 1) {
		t.Errorf("PSNR(a, a) = %v, want +Inf", p1)
	}

	// The same pixels at another origin, and as NRGBA and generic images.
	shifted := image.NewRGBA(image.Rect(-7, 3, 33, 33))
	draw.Draw(shifted, shifted.Rect, a, image.Point{}, draw.Src)
	nrgba := image.NewNRGBA(b.Rect)
	draw.Draw(nrgba, nrgba.Rect, b, image.Point{}, draw.Src)
	big := image.NewRGBA(image.Rect(0, 0, 60, 50))
	draw.Draw(big, image.Rect(10, 10, 50, 40), b, image.Point{}, draw.Src)
	for name, pr := range map[string][2]image.Image{
		"shifted origin": {shifted, b},
		"NRGBA":          {a, nrgba},
		"sub-image":      {a, big.SubImage(image.Rect(10, 10, 50, 40))},
		"generic":        {generic{a}, generic{b}},
	} {
		r, err := Compare(pr[0], pr[1])
		if err != nil || r.SSIM != s || r.PSNR != p {
			t.Errorf("%s: Compare = %+v, %v; want {PSNR:%v SSIM:%v}", name, r, err, p, s)
		}
	}
}

// generic hides an image's concrete type, forcing the color.Model path.
type generic struct{ image.Image }

// TestAlphaIgnored checks that alpha, however small, does not change the
// straight RGB values used, including a translucent *image.RGBA, which
// stores premultiplied values.
func TestAlphaIgnored(t *testing.T) {
	a, b := noisyPair(3, 16, 16, 9)
	nb := image.NewNRGBA(b.Rect)
	copy(nb.Pix, b.Pix)
	for i := 3; i < len(nb.Pix); i += 4 {
		nb.Pix[i] = uint8(i)
	}
	want, _ := Compare(a, b)
	got, err := Compare(a, nb)
	if err != nil || got != want {
		t.Errorf("NRGBA with alpha: %+v, %v; opaque %+v", got, err, want)
	}
	// A translucent *image.RGBA pixel holds premultiplied values; toRGB
	// un-premultiplies them through color.NRGBAModel, which recovers the
	// straight colour to within 8-bit rounding.
	pm := image.NewRGBA(image.Rect(0, 0, 1, 1))
	pm.Set(0, 0, color.NRGBA{200, 100, 0, 0x80})
	want8 := color.NRGBAModel.Convert(pm.At(0, 0)).(color.NRGBA)
	c := toRGB(pm)
	if c.c[0][0] != want8.R || c.c[1][0] != want8.G || c.c[2][0] != want8.B ||
		c.c[0][0] < 199 || c.c[1][0] < 99 || c.c[2][0] != 0 {
		t.Errorf("translucent RGBA pixel -> %d,%d,%d; want %d,%d,%d (about 200,100,0)",
			c.c[0][0], c.c[1][0], c.c[2][0], want8.R, want8.G, want8.B)
	}
}

// TestErrors checks the typed errors for mismatched sizes and for images
// too small for SSIM (skimage raises below 11x11 with gaussian_weights,
// whatever its message says about 7x7) or empty.
func TestErrors(t *testing.T) {
	img := func(w, h int) image.Image { return image.NewRGBA(image.Rect(0, 0, w, h)) }

	for name, f := range map[string]func(a, b image.Image) error{
		"PSNR":    func(a, b image.Image) error { _, err := PSNR(a, b); return err },
		"SSIM":    func(a, b image.Image) error { _, err := SSIM(a, b); return err },
		"Compare": func(a, b image.Image) error { _, err := Compare(a, b); return err },
	} {
		err := f(img(32, 32), img(64, 48))
		var se *SizeError
		if !errors.As(err, &se) || se.A != image.Pt(32, 32) || se.B != image.Pt(64, 48) ||
			!strings.Contains(err.Error(), "32x32") || !strings.Contains(err.Error(), "64x48") {
			t.Errorf("%s of 32x32 and 64x48: %v, want *SizeError naming both sizes", name, err)
		}
	}

	for _, sz := range []image.Point{{7, 9}, {10, 16}, {16, 10}, {11, 10}, {0, 0}} {
		_, err := SSIM(img(sz.X, sz.Y), img(sz.X, sz.Y))
		var te *TooSmallError
		if !errors.As(err, &te) || te.Size != sz || te.Min != WinSize {
			t.Errorf("SSIM of %v: %v, want *TooSmallError", sz, err)
		}
		if _, err := Compare(img(sz.X, sz.Y), img(sz.X, sz.Y)); !errors.As(err, &te) {
			t.Errorf("Compare of %v: %v, want *TooSmallError", sz, err)
		}
	}
	if _, err := SSIM(img(11, 11), img(11, 11)); err != nil {
		t.Errorf("SSIM of 11x11: %v", err)
	}

	var te *TooSmallError
	if _, err := PSNR(img(0, 5), img(0, 5)); !errors.As(err, &te) {
		t.Errorf("PSNR of empty images: %v, want *TooSmallError", err)
	}
	if p, err := PSNR(img(1, 1), img(1, 1)); err != nil || !math.IsInf(p, 1) {
		t.Errorf("PSNR of 1x1 identical: %v, %v; want +Inf", p, err)
	}

	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "fidelity:") {
			t.Errorf("SSIM(nil, img): recovered %v, want a fidelity: panic", r)
		}
	}()
	SSIM(nil, img(11, 11))
}
