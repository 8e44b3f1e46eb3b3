package pipeline

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"

	"github.com/tomebench/tomebench/internal/fsutil"
)

// postprocess turns the decoder output x [B, 3, H, W] into images in [0, 1], NHWC, as
// diffusers' VaeImageProcessor.postprocess(output_type="np") does:
// clamp(x/2 + 0.5, 0, 1) in float32, then channels last.
func postprocess(x []float32, B, H, W int) []float32 {
	out := make([]float32, len(x))
	plane := H * W
	for b := range B {
		for c := range 3 {
			src := x[(b*3+c)*plane : (b*3+c+1)*plane]
			for p, v := range src {
				y := float32(v/2) + 0.5
				y = min(max(y, 0), 1)
				out[(b*plane+p)*3+c] = y
			}
		}
	}
	return out
}

// toRGB8 returns the 8-bit RGB images of pixels [B, H, W, 3] in [0, 1], rounded as
// diffusers' numpy_to_pil: (x*255).round() in float32 (round half to even).
func toRGB8(pixels []float32, B, H, W int) []*image.RGBA {
	imgs := make([]*image.RGBA, B)
	for b := range B {
		img := image.NewRGBA(image.Rect(0, 0, W, H))
		src := pixels[b*H*W*3 : (b+1)*H*W*3]
		for p := range H * W {
			for c := range 3 {
				img.Pix[p*4+c] = byte(math.RoundToEven(float64(float32(src[p*3+c] * 255))))
			}
			img.Pix[p*4+3] = 255
		}
		imgs[b] = img
	}
	return imgs
}

// WritePNG writes img as an 8-bit PNG (RGB when opaque) to path atomically: it writes a
// temporary file in the same folder and renames it over path, so a reader never sees a
// partial image and an interrupted write leaves no file at path.
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("pipeline: encoding %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to path through a temporary file in the same folder that
// is synced and renamed over path.
func WriteFileAtomic(path string, data []byte) error {
	if err := fsutil.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}
