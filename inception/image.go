package inception

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register decoders
	_ "image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tomebench/tomebench/internal/jpegdec"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// ImageExtensions are the file extensions pytorch-fid globs for in an image folder
// (its IMAGE_EXTENSIONS; matched case-sensitively, as pathlib's glob does on Linux).
var ImageExtensions = []string{"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"}

// ListImages returns the image files directly in dir, sorted by name, as pytorch-fid's
// compute_statistics_of_path does: sorted(path.glob('*.EXT') for each extension).
func ListImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		ext := strings.TrimPrefix(filepath.Ext(e.Name()), ".")
		if e.IsDir() || !contains(ImageExtensions, ext) {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	sort.Strings(files)
	return files, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// An ImageError reports an image file that cannot be decoded.
type ImageError struct {
	File string
	Err  error
}

func (e *ImageError) Error() string { return "inception: image " + e.File + ": " + e.Err.Error() }
func (e *ImageError) Unwrap() error { return e.Err }

// A Tensor is an image as TF.ToTensor gives it: float32 [3, H, W], channel-major RGB,
// values v/255 in [0, 1].
type Tensor struct {
	H, W int
	Data []float32
}

// LoadImage decodes the file at path (png, jpeg, bmp, tiff, webp, pgm/ppm) and
// converts it as pytorch-fid's ImagePathDataset does: PIL Image.open(path).convert("RGB")
// then TF.ToTensor. See ToRGB for the conversion rules.
func LoadImage(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var img image.Image
	head, _ := br.Peek(3)
	switch {
	case len(head) >= 2 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6':
		img, err = decodeNetpbm(br)
	case len(head) == 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff:
		// JPEG, recognised as PIL does: decoded to PIL's (libjpeg-turbo's) pixels.
		img, err = jpegdec.Decode(br)
	default:
		img, _, err = image.Decode(br)
	}
	if err != nil {
		return nil, &ImageError{path, err}
	}
	return ToTensor(img), nil
}

// ToTensor converts img to RGB (ToRGB) and scales it as TF.ToTensor: float32(v)/255.
func ToTensor(img image.Image) *Tensor {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	t := &Tensor{H: h, W: w, Data: make([]float32, 3*h*w)}
	plane := h * w
	for y := range h {
		for x := range w {
			r, g, bl := ToRGB(img.At(b.Min.X+x, b.Min.Y+y))
			i := y*w + x
			t.Data[i] = float32(r) / 255
			t.Data[plane+i] = float32(g) / 255
			t.Data[2*plane+i] = float32(bl) / 255
		}
	}
	return t
}

// ToRGB converts one pixel as PIL's convert("RGB") does for the mode PIL would open the
// file in:
//   - grey (L) is replicated to R=G=B;
//   - alpha is dropped, not composited (RGBA→RGB keeps the colour channels; a paletted
//     image with transparency keeps its palette colours);
//   - 16-bit colour keeps the high byte (PIL reads 16-bit RGB PNGs as 8-bit that way);
//   - 16-bit grey opens in PIL as mode I;16, whose conversion clips at 255 rather than
//     scaling: a value v becomes min(v, 255);
//   - premultiplied colour (image.RGBA from some TIFFs) is un-premultiplied;
//   - CMYK (JPEGs decoded by jpegdec hold PIL's CMYK values) uses Pillow's cmyk2rgb:
//     each of R, G, B = (255−K) − (C·(255−K))/255 with Pillow's rounded division;
//   - YCbCr uses Go's conversion (JPEGs do not reach it: jpegdec returns RGB).
func ToRGB(c color.Color) (r, g, b uint8) {
	switch p := c.(type) {
	case color.NRGBA:
		return p.R, p.G, p.B
	case color.Gray:
		return p.Y, p.Y, p.Y
	case color.Gray16:
		v := uint8(min(p.Y, 255))
		return v, v, v
	case color.NRGBA64:
		return uint8(p.R >> 8), uint8(p.G >> 8), uint8(p.B >> 8)
	case color.RGBA64:
		if p.A == 0xffff || p.A == 0 {
			return uint8(p.R >> 8), uint8(p.G >> 8), uint8(p.B >> 8)
		}
	case color.RGBA:
		if p.A == 0xff || p.A == 0 {
			return p.R, p.G, p.B
		}
	case color.YCbCr:
		return color.YCbCrToRGB(p.Y, p.Cb, p.Cr)
	case color.NYCbCrA:
		return color.YCbCrToRGB(p.Y, p.Cb, p.Cr)
	case color.CMYK:
		nk := 255 - int(p.K)
		return cmykChannel(p.C, nk), cmykChannel(p.M, nk), cmykChannel(p.Y, nk)
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return n.R, n.G, n.B
}

// cmykChannel is Pillow's nk − MULDIV255(v, nk) (Convert.c cmyk2rgb).
func cmykChannel(v uint8, nk int) uint8 {
	t := int(v)*nk + 128
	return uint8(nk - (t+t>>8)>>8)
}

// errNetpbm reports a malformed PGM/PPM header or body.
func errNetpbm(format string, a ...any) error { return fmt.Errorf("netpbm: "+format, a...) }
