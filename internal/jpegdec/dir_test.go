package jpegdec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPILDir compares Decode with PIL on a folder of JPEGs, each NAME.jpg beside its
// PIL decode NAME.png (as testdata/gen.py writes them: L, RGB, or CMYK packed as
// RGBA). It also reports how far Go's image/jpeg is from PIL on the same files. The
// folder is too large to ship; set JPEGDEC_PIL_DIR to run it.
func TestPILDir(t *testing.T) {
	dir := os.Getenv("JPEGDEC_PIL_DIR")
	if dir == "" {
		t.Skip("JPEGDEC_PIL_DIR not set: no folder of JPEGs with PIL decodes to compare")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.jpg in %s (%v)", dir, err)
	}
	var exact, compared, unsupported int
	var stdMax, stdSum, stdN int
	for _, f := range files {
		ref := strings.TrimSuffix(f, ".jpg") + ".png"
		if _, err := os.Stat(ref); err != nil {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := pixels(readPNG(t, ref))
		img, err := Decode(bytes.NewReader(data))
		if _, ok := err.(UnsupportedError); ok {
			unsupported++
			t.Logf("%s: %v", filepath.Base(f), err)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		compared++
		got, _ := pixels(img)
		if len(got) != len(want) {
			t.Errorf("%s: %d samples, PIL %d", filepath.Base(f), len(got), len(want))
			continue
		}
		if d := diff(got, want); d.n > 0 {
			t.Errorf("%s: %d of %d samples differ, max %d", filepath.Base(f), d.n, len(got), d.max)
		} else {
			exact++
		}
		if std, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
			if s := stdPixels(std, img); len(s) == len(want) {
				for i := range s {
					d := int(s[i]) - int(want[i])
					d = max(d, -d)
					stdMax = max(stdMax, d)
					stdSum += d
				}
				stdN += len(s)
			}
		}
	}
	t.Logf("%d files, %d compared, %d exact, %d unsupported", len(files), compared, exact, unsupported)
	if stdN > 0 {
		t.Logf("Go image/jpeg vs PIL on the same files: max %d levels, mean %.4f", stdMax, float64(stdSum)/float64(stdN))
	}
}

// stdPixels lays out Go image/jpeg's decode as pixels lays out like (a decode by this
// package, giving the channel count).
func stdPixels(std, like image.Image) []byte {
	b := std.Bounds()
	var out []byte
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch like.(type) {
			case *image.Gray:
				out = append(out, color.GrayModel.Convert(std.At(x, y)).(color.Gray).Y)
			case *image.CMYK:
				c := color.CMYKModel.Convert(std.At(x, y)).(color.CMYK)
				out = append(out, c.C, c.M, c.Y, c.K)
			default:
				r, g, bl, _ := std.At(x, y).RGBA()
				out = append(out, byte(r>>8), byte(g>>8), byte(bl>>8))
			}
		}
	}
	return out
}
