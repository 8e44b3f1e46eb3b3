package clipscore

import "fmt"

// A Processor is CLIPImageProcessor.preprocess (transformers v4.26.1) for one image
// given as a tensor, as torchmetrics calls it.
type Processor struct {
	cfg ProcessorConfig
	lut [3][256]float32 // uint8 level → normalised value, per channel
}

// NewProcessor returns the processor of cfg.
func NewProcessor(cfg ProcessorConfig) *Processor {
	p := &Processor{cfg: cfg}
	for c := range 3 {
		for u := range 256 {
			x := float32(float64(u))
			if cfg.DoRescale {
				// uint8 · Python float is float64 in numpy, then .astype(float32).
				x = float32(float64(u) * cfg.RescaleFactor)
			}
			if cfg.DoNormalize {
				// (x − mean) / std with float32 arrays: each op rounded to float32.
				d := float32(x - cfg.Mean[c])
				x = float32(d / cfg.Std[c])
			}
			p.lut[c][u] = x
		}
	}
	return p
}

// Config returns the processor's configuration.
func (p *Processor) Config() ProcessorConfig { return p.cfg }

// NormalizeTable returns the uint8 → float table applied per channel after the crop
// (rescale and normalize; for testing against torch's numbers).
func (p *Processor) NormalizeTable() [3][256]float32 { return p.lut }

// ResizedSize returns the size CLIPImageProcessor resizes a w×h image to: the short
// side becomes ShortestEdge and the long one int(ShortestEdge·long/short) (floored).
func (p *Processor) ResizedSize(w, h int) (rw, rh int) {
	s := p.cfg.ShortestEdge
	if w <= h {
		return s, int(float64(s) * float64(h) / float64(w))
	}
	return int(float64(s) * float64(w) / float64(h)), s
}

// Crop returns im resized (Pillow BICUBIC) and centre-cropped: the uint8 image right
// before rescaling and normalising. top = (h − crop_h)//2, left = (w − crop_w)//2. The
// crop never reaches outside a resized image (Open requires crop_size ≤ size); for an
// unresized image that is smaller, the outside is zero.
func (p *Processor) Crop(im *Image) *Image {
	if im.W <= 0 || im.H <= 0 || len(im.Pix) != im.W*im.H*3 {
		panic(fmt.Sprintf("clipscore: malformed %dx%d image with %d bytes", im.W, im.H, len(im.Pix)))
	}
	r := im
	if p.cfg.DoResize {
		rw, rh := p.ResizedSize(im.W, im.H)
		r = ResizeBicubic(im, rw, rh)
	}
	if !p.cfg.DoCenterCrop {
		return r
	}
	ch, cw := p.cfg.CropH, p.cfg.CropW
	out := &Image{W: cw, H: ch, Pix: make([]uint8, cw*ch*3)}
	// Offsets of the crop in the image (negative: the image sits inside the padding).
	top := floorDiv(r.H-ch, 2)
	left := floorDiv(r.W-cw, 2)
	for y := range ch {
		sy := y + top
		if sy < 0 || sy >= r.H {
			continue
		}
		for x := range cw {
			sx := x + left
			if sx < 0 || sx >= r.W {
				continue
			}
			copy(out.Pix[(y*cw+x)*3:(y*cw+x)*3+3], r.Pix[(sy*r.W+sx)*3:])
		}
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// PixelValues returns the model input of im: float32 [3, H, W] (channels first), the
// processor's pixel_values row, bit for bit.
func (p *Processor) PixelValues(im *Image) []float32 {
	c := p.Crop(im)
	plane := c.W * c.H
	out := make([]float32, 3*plane)
	for i := range plane {
		for ch := range 3 {
			out[ch*plane+i] = p.lut[ch][c.Pix[i*3+ch]]
		}
	}
	return out
}
