package jpegdec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that arbitrary bytes never make Decode panic, and that a decoded
// image has the size and colour model DecodeConfig reports. Seeds are the test JPEGs.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("testdata/*.jpg")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed JPEGs in testdata (%v)", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return
		}
		if cfg.Width*cfg.Height > 1<<16 {
			return // too large to decode quickly here
		}
		img, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		if r := img.Bounds(); r.Dx() != cfg.Width || r.Dy() != cfg.Height {
			t.Fatalf("Decode gives %v, DecodeConfig %dx%d", r, cfg.Width, cfg.Height)
		}
		if img.ColorModel() != cfg.ColorModel {
			t.Fatalf("Decode gives colour model %v, DecodeConfig %v", img.ColorModel(), cfg.ColorModel)
		}
	})
}
