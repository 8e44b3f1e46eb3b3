package jpegdec

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"testing"
)

// benchJPEG is a 512×384 photo (fixture setA/a000.png) encoded by Go's image/jpeg
// (baseline, 4:2:0, quality 90).
func benchJPEG(b *testing.B) []byte {
	const path = "../../../shared/fixtures/fid/images/setA/a000.png"
	if _, err := os.Stat(path); err != nil {
		b.Skipf("fixture %s missing: %v", path, err)
	}
	img := readPNG(b, path)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkDecode(b *testing.B) {
	data := benchJPEG(b)
	b.SetBytes(512 * 384 * 3)
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibDecode decodes the same file with image/jpeg and converts it to RGBA,
// the form Decode returns.
func BenchmarkStdlibDecode(b *testing.B) {
	data := benchJPEG(b)
	b.SetBytes(512 * 384 * 3)
	for b.Loop() {
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		_ = toRGBA(img)
	}
}

func toRGBA(img image.Image) *image.RGBA {
	m := image.NewRGBA(img.Bounds())
	draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
	return m
}
