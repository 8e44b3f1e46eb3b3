package fidelity

import (
	"image"
	"image/color"
)

// rgb is an image as three 8-bit planes (R, G, B), each w*h bytes in
// row-major order.
type rgb struct {
	w, h int
	c    [3][]uint8
}

// size returns the image's size as a point (width, height).
func (p *rgb) size() image.Point { return image.Pt(p.w, p.h) }

// toRGB converts img to straight (non-premultiplied) 8-bit RGB planes,
// discarding alpha: *image.NRGBA pixels are taken as stored, opaque
// *image.RGBA pixels likewise, and every other pixel goes through
// color.NRGBAModel. For images decoded by image/png this gives the same
// bytes as Pillow's Image.convert("RGB").
func toRGB(img image.Image) *rgb {
	if img == nil {
		panic("fidelity: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := &rgb{w: w, h: h}
	buf := make([]uint8, 3*w*h)
	for k := range p.c {
		p.c[k] = buf[k*w*h : (k+1)*w*h : (k+1)*w*h]
	}
	r, g, bl := p.c[0], p.c[1], p.c[2]
	switch m := img.(type) {
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][: 4*w : 4*w]
			o := y * w
			for x := 0; x < w; x++ {
				r[o+x], g[o+x], bl[o+x] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][: 4*w : 4*w]
			o := y * w
			for x := 0; x < w; x++ {
				if row[4*x+3] == 0xff {
					r[o+x], g[o+x], bl[o+x] = row[4*x], row[4*x+1], row[4*x+2]
					continue
				}
				c := color.NRGBAModel.Convert(color.RGBA{
					row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]}).(color.NRGBA)
				r[o+x], g[o+x], bl[o+x] = c.R, c.G, c.B
			}
		}
	default:
		for y := 0; y < h; y++ {
			o := y * w
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				r[o+x], g[o+x], bl[o+x] = c.R, c.G, c.B
			}
		}
	}
	return p
}

// pair converts a and b and checks that their sizes match.
func pair(a, b image.Image) (*rgb, *rgb, error) {
	pa, pb := toRGB(a), toRGB(b)
	if pa.size() != pb.size() {
		return nil, nil, &SizeError{A: pa.size(), B: pb.size()}
	}
	return pa, pb, nil
}
