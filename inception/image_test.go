package inception

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// TestToRGB checks the pixel conversions against PIL's convert("RGB") rules (Pillow
// Convert.c: alpha dropped, L replicated, I;16 clipped at 255; PngImagePlugin: 16-bit
// colour read as its high byte).
func TestToRGB(t *testing.T) {
	cases := []struct {
		name    string
		c       color.Color
		r, g, b uint8
	}{
		{"rgb", color.NRGBA{10, 20, 30, 255}, 10, 20, 30},
		{"rgba drops alpha", color.NRGBA{10, 20, 30, 7}, 10, 20, 30},
		{"grey", color.Gray{77}, 77, 77, 77},
		{"grey16 below 256", color.Gray16{200}, 200, 200, 200},
		{"grey16 clipped", color.Gray16{40000}, 255, 255, 255},
		{"rgb16 high byte", color.NRGBA64{0x1234, 0xabcd, 0x00ff, 0xffff}, 0x12, 0xab, 0x00},
		{"premultiplied opaque", color.RGBA{1, 2, 3, 255}, 1, 2, 3},
		{"premultiplied half", color.RGBA{50, 100, 0, 128}, 99, 199, 0},
		{"ycbcr", color.YCbCr{128, 128, 128}, 128, 128, 128},
		// CMYK: Pillow 9.4.0, Image.new("CMYK", (1, 1), c).convert("RGB").
		{"cmyk white", color.CMYK{0, 0, 0, 0}, 255, 255, 255},
		{"cmyk", color.CMYK{100, 50, 200, 30}, 137, 181, 49},
		{"cmyk dark", color.CMYK{10, 20, 30, 250}, 5, 5, 4},
		{"cmyk grey", color.CMYK{200, 200, 200, 200}, 12, 12, 12},
	}
	for _, c := range cases {
		r, g, b := ToRGB(c.c)
		if r != c.r || g != c.g || b != c.b {
			t.Errorf("%s: ToRGB(%v) = %d,%d,%d, want %d,%d,%d", c.name, c.c, r, g, b, c.r, c.g, c.b)
		}
	}
}

// TestLoadImageFormats writes one 2×1 image per format and checks the decoded tensor.
func TestLoadImageFormats(t *testing.T) {
	dir := t.TempDir()
	rgb := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	rgb.SetNRGBA(0, 0, color.NRGBA{255, 0, 51, 255})
	rgb.SetNRGBA(1, 0, color.NRGBA{0, 102, 255, 9}) // alpha is dropped
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.NRGBA{255, 0, 51, 255}, color.NRGBA{0, 102, 255, 0}})
	pal.SetColorIndex(1, 0, 1)
	write := func(name string, enc func(f *os.File) error) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	raw := func(s string) func(*os.File) error {
		return func(f *os.File) error { _, err := f.WriteString(s); return err }
	}
	want := []float32{1, 0, 0, 102.0 / 255, 51.0 / 255, 1} // [3,1,2] channel-major
	cases := []struct {
		name string
		path string
		want []float32
	}{
		{"png rgba", write("a.png", func(f *os.File) error { return png.Encode(f, rgb) }), want},
		{"png paletted with transparency", write("p.png", func(f *os.File) error { return png.Encode(f, pal) }), want},
		{"bmp", write("a.bmp", func(f *os.File) error { return bmp.Encode(f, opaque(rgb)) }), want},
		{"tiff", write("a.tiff", func(f *os.File) error { return tiff.Encode(f, opaque(rgb), nil) }), want},
		{"ppm binary", write("a.ppm", raw("P6\n# comment\n2 1\n255\n\xff\x00\x33\x00\x66\xff")), want},
		{"ppm ascii", write("b.ppm", raw("P3 2 1 255\n255 0 51 0 102 255\n")), want},
		{"pgm maxval 15", write("a.pgm", raw("P5 2 1 15\n\x0f\x06")), []float32{1, 102.0 / 255, 1, 102.0 / 255, 1, 102.0 / 255}},
	}
	for _, c := range cases {
		im, err := LoadImage(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if im.H != 1 || im.W != 2 || !slices.Equal(im.Data, c.want) {
			t.Errorf("%s: %dx%d %v, want 2x1 %v", c.name, im.W, im.H, im.Data, c.want)
		}
	}
}

func opaque(m *image.NRGBA) *image.NRGBA {
	o := image.NewNRGBA(m.Rect)
	copy(o.Pix, m.Pix)
	for i := 3; i < len(o.Pix); i += 4 {
		o.Pix[i] = 255
	}
	return o
}

// TestLoadImageJPEG checks that JPEGs load with PIL's pixels: the references are
// Pillow 9.4.0 (libjpeg-turbo 2.1.5) decodes made by internal/jpegdec/testdata/gen.py,
// converted to RGB by PIL (NAME.rgb.png for CMYK).
func TestLoadImageJPEG(t *testing.T) {
	const dir = "../internal/jpegdec/testdata"
	for _, c := range []struct{ jpg, ref string }{
		{"q75_420_prog.jpg", "q75_420_prog.png"},
		{"size33x17_422.jpg", "size33x17_422.png"},
		{"grey_base.jpg", "grey_base.png"},
		{"cmyk.jpg", "cmyk.rgb.png"},
	} {
		got, err := LoadImage(filepath.Join(dir, c.jpg))
		if err != nil {
			t.Errorf("%s: %v", c.jpg, err)
			continue
		}
		f, err := os.Open(filepath.Join(dir, c.ref))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := ToTensor(ref); got.H != want.H || got.W != want.W || !slices.Equal(got.Data, want.Data) {
			t.Errorf("%s: tensor differs from PIL's decode %s", c.jpg, c.ref)
		}
	}
}

// TestLoadImageErrors: undecodable files give an *ImageError naming the file.
func TestLoadImageErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"trunc.png": "\x89PNG\r\n\x1a\n\x00\x00",
		"text.jpg":  "hello",
		"short.ppm": "P6 4 4 255\n\x00\x01",
		"bits.pgm":  "P4 1 1\n\x00",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadImage(p)
		var ie *ImageError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want an *ImageError naming the file", name, err)
		}
	}
}

// TestListImages follows pytorch-fid: its extensions only, lower case, sorted.
func TestListImages(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.jpg", "c.JPG", "d.txt", "e.webp", ".f.png"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "g.png"), 0o755)
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != ".f.png a.jpg b.png e.webp" {
		t.Errorf("ListImages = %v", names)
	}
}

// FuzzNetpbm: the PGM/PPM decoder returns an image of the header's size or an error,
// never panics.
func FuzzNetpbm(f *testing.F) {
	f.Add([]byte("P6\n# c\n2 1\n255\n\xff\x00\x33\x00\x66\xff"))
	f.Add([]byte("P3 2 1 255\n255 0 51 0 102 255\n"))
	f.Add([]byte("P5 2 1 65535\n\x01\x02\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodeNetpbm(bufio.NewReader(bytes.NewReader(b)))
		if err == nil && img.Bounds().Empty() {
			t.Fatal("empty image without an error")
		}
	})
}
