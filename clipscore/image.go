package clipscore

import (
	"fmt"
	"math"

	"github.com/tomebench/tomebench/inception"
)

// An Image is an 8-bit RGB image, row-major HWC: the pixel (x, y) channel c is
// Pix[(y·W + x)·3 + c]. It is what CLIPImageProcessor converts every input to before
// resizing.
type Image struct {
	W, H int
	Pix  []uint8
}

func checkCHW(c, h, w, n int) {
	if c != 3 || h <= 0 || w <= 0 || n != c*h*w {
		panic(fmt.Sprintf("clipscore: image of shape [%d, %d, %d] with %d values; want [3, H, W]", c, h, w, n))
	}
}

// FromUint8CHW converts a uint8 [3, H, W] tensor (torch's layout) to an Image.
func FromUint8CHW(h, w int, data []uint8) *Image {
	checkCHW(3, h, w, len(data))
	return fromCHW(h, w, func(i int) uint8 { return data[i] })
}

// FromInt64CHW converts an integer [3, H, W] tensor as the processor does
// (numpy astype(uint8): the low 8 bits, so 256 wraps to 0). torchmetrics' docstring
// passes torch.randint(255, (3, 224, 224)), which is int64.
func FromInt64CHW(h, w int, data []int64) *Image {
	checkCHW(3, h, w, len(data))
	return fromCHW(h, w, func(i int) uint8 { return uint8(data[i]) })
}

// FromFloat32CHW converts a float [3, H, W] tensor with values in [0, 1] as the
// processor does: x·255 in float32, then truncated toward zero (not rounded: 0.999·255
// gives 254). diffusers' numpy_to_pil rounds instead, so its PIL images can differ by
// one level; pass the float output here to match torchmetrics on the same tensor.
// Values outside [0, 1] are clamped (numpy's cast of them is platform-dependent).
func FromFloat32CHW(h, w int, data []float32) *Image {
	checkCHW(3, h, w, len(data))
	return fromCHW(h, w, func(i int) uint8 {
		v := float32(data[i] * 255)
		if !(v > 0) { // also NaN
			return 0
		}
		return uint8(math.Min(float64(v), 255))
	})
}

func fromCHW(h, w int, at func(int) uint8) *Image {
	im := &Image{W: w, H: h, Pix: make([]uint8, h*w*3)}
	plane := h * w
	for c := range 3 {
		for i := range plane {
			im.Pix[i*3+c] = at(c*plane + i)
		}
	}
	return im
}

// LoadImage decodes an image file (png, jpeg, bmp, tiff, webp, pgm/ppm) to RGB as
// PIL's convert("RGB") does (the decoder of inception.LoadImage, whose v/255 values
// map back to the exact uint8 levels).
func LoadImage(path string) (*Image, error) {
	t, err := inception.LoadImage(path)
	if err != nil {
		return nil, err
	}
	return fromCHW(t.H, t.W, func(i int) uint8 { return uint8(math.Round(float64(t.Data[i]) * 255)) }), nil
}
