package jpegdec

import "image"

// Colour conversion as libjpeg-turbo's jdcolor.c does it (ycc_rgb_convert,
// ycck_cmyk_convert), in 16-bit fixed point with tables built by build_ycc_rgb_table:
//
//	R = Y + round(1.40200·(Cr−128))
//	G = Y + ((−FIX(0.34414)·(Cb−128) + ONE_HALF − FIX(0.71414)·(Cr−128)) >> 16)
//	B = Y + round(1.77200·(Cb−128))
//
// each clamped to [0, 255], where FIX(x) = round(x·2^16) and round(v) = (FIX(v)+2^15)>>16.

const (
	scaleBits = 16
	oneHalf   = 1 << (scaleBits - 1)
)

func fix16(x float64) int64 { return int64(x*(1<<scaleBits) + 0.5) }

var crR, cbB [256]int32
var crG, cbG [256]int64

func init() {
	for i := range 256 {
		x := int64(i - 128)
		crR[i] = int32((fix16(1.40200)*x + oneHalf) >> scaleBits)
		cbB[i] = int32((fix16(1.77200)*x + oneHalf) >> scaleBits)
		crG[i] = -fix16(0.71414) * x
		cbG[i] = -fix16(0.34414)*x + oneHalf
	}
}

func clamp255(v int32) byte {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}

// yccToRGB converts one sample triple as ycc_rgb_convert.
func yccToRGB(y, cb, cr byte) (r, g, b byte) {
	yy := int32(y)
	r = clamp255(yy + crR[cr])
	g = clamp255(yy + int32((cbG[cb]+crG[cr])>>scaleBits))
	b = clamp255(yy + cbB[cb])
	return r, g, b
}

// output upsamples the components and converts them to the image PIL would hold.
func (d *decoder) output() (image.Image, error) {
	var planes [maxComponents]plane
	smooth := d.smoothing()
	for i := range d.nComp {
		c := &d.comp[i]
		if c.pix == nil {
			// A component without any scan: libjpeg decodes it as all-zero
			// coefficients, i.e. mid-grey.
			c.pix = make([]byte, 64*c.bw*c.bh)
			for k := range c.pix {
				c.pix[k] = 128
			}
		} else if smooth {
			d.reconstructSmoothed(i)
		} else if d.progressive {
			d.reconstruct(c)
		}
		planes[i] = d.upsample(c)
	}
	w, h := d.width, d.height
	rect := image.Rect(0, 0, w, h)
	switch d.colorSpace {
	case csGray:
		img := image.NewGray(rect)
		for y := range h {
			copy(img.Pix[y*img.Stride:y*img.Stride+w], planes[0].pix[y*planes[0].stride:])
		}
		return img, nil
	case csYCbCr, csRGB:
		img := image.NewRGBA(rect)
		p0, p1, p2 := planes[0], planes[1], planes[2]
		for y := range h {
			dst := img.Pix[y*img.Stride : y*img.Stride+4*w]
			s0, s1, s2 := p0.pix[y*p0.stride:], p1.pix[y*p1.stride:], p2.pix[y*p2.stride:]
			for x := range w {
				r, g, b := s0[x], s1[x], s2[x]
				if d.colorSpace == csYCbCr {
					r, g, b = yccToRGB(r, g, b)
				}
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = r, g, b, 255
			}
		}
		return img, nil
	}
	// CMYK and YCCK: libjpeg outputs CMYK (YCCK through ycck_cmyk_convert, which
	// inverts the converted RGB), and PIL reads it as raw mode "CMYK;I" (Adobe's
	// inverted convention), inverting all four channels.
	img := image.NewCMYK(rect)
	p0, p1, p2, p3 := planes[0], planes[1], planes[2], planes[3]
	for y := range h {
		dst := img.Pix[y*img.Stride : y*img.Stride+4*w]
		s0, s1, s2, s3 := p0.pix[y*p0.stride:], p1.pix[y*p1.stride:], p2.pix[y*p2.stride:], p3.pix[y*p3.stride:]
		for x := range w {
			c, m, ye := 255-s0[x], 255-s1[x], 255-s2[x]
			if d.colorSpace == csYCCK {
				c, m, ye = yccToRGB(s0[x], s1[x], s2[x])
			}
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = c, m, ye, 255-s3[x]
		}
	}
	return img, nil
}

// reconstruct runs the IDCT over a progressive component's coefficients.
func (d *decoder) reconstruct(c *component) {
	// Only the blocks holding real samples are needed by upsample.
	stride := 8 * c.bw
	for by := range (c.dh + 7) / 8 {
		for bx := range (c.dw + 7) / 8 {
			idctIslow(&c.coef[by*c.bw+bx], c.q, c.pix[8*(by*stride+bx):], stride)
		}
	}
}
