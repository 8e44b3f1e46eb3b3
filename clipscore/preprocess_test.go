package clipscore

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// TestNormalizeTable: the uint8 → float table against normalize_lut.npy, bit for bit
// (torch/numpy, float32 step by step; float64 would miss 70 entries by 1 ulp), for
// both preprocessor_config.json layouts.
func TestNormalizeTable(t *testing.T) {
	needFixtures(t)
	want := readNPY(t, "normalize_lut.npy")
	for _, f := range []string{"tiny_clip/preprocessor_config.json", "config_variants/preprocessor_config.saved_by_4.26.1.json"} {
		cfg, err := ReadProcessorConfig(filepath.Join(fixtures, f))
		if err != nil {
			t.Fatal(err)
		}
		if *cfg != DefaultProcessorConfig() {
			t.Errorf("%s: %+v, want the defaults %+v", f, *cfg, DefaultProcessorConfig())
		}
		lut := NewProcessor(*cfg).NormalizeTable()
		bad := 0
		for c := range 3 {
			for u := range 256 {
				if math.Float32bits(lut[c][u]) != math.Float32bits(want.F32[c*256+u]) {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of 768 table entries differ from normalize_lut.npy", f, bad)
		}
	}
}

// TestCropsBitExact: every case's resized, centre-cropped uint8 image equals
// crops_uint8.npy (PIL 9.4 BICUBIC through CLIPImageProcessor), and pixel_values equals
// pixel_values.npy bit for bit where stored (images 0, 2, 7) — covering the 512×384,
// portrait, exact-224, odd 225×301, small, very wide 512×97, float and int64 inputs.
func TestCropsBitExact(t *testing.T) {
	m := readManifest(t)
	crops := readNPY(t, "crops_uint8.npy")
	pv := readNPY(t, "pixel_values.npy")
	pvRow := map[int]int{0: 0, 2: 1, 7: 2} // manifest: pixel_values.image_indices
	p := NewProcessor(DefaultProcessorConfig())
	const n = 224 * 224 * 3
	for i, c := range m.Results.Cases {
		t.Run(c.Name, func(t *testing.T) {
			im := caseImage(t, c)
			if rw, rh := p.ResizedSize(im.W, im.H); rh != c.ResizedHW[0] || rw != c.ResizedHW[1] {
				t.Errorf("resized to %dx%d (h×w), manifest %v", rh, rw, c.ResizedHW)
			}
			got := p.Crop(im)
			want := crops.U8[i*n : (i+1)*n]
			bad := 0
			for k := range want {
				if got.Pix[k] != want[k] {
					bad++
				}
			}
			if bad > 0 {
				t.Fatalf("%d of %d crop bytes differ from crops_uint8.npy", bad, n)
			}
			if r, ok := pvRow[i]; ok {
				v := p.PixelValues(im)
				w := pv.F32[r*n : (r+1)*n]
				for k := range w {
					if math.Float32bits(v[k]) != math.Float32bits(w[k]) {
						t.Fatalf("pixel_values[%d] = %v, want %v (first difference)", k, v[k], w[k])
					}
				}
			}
		})
	}
}

// TestResizeProperties: a same-size resize is a copy; a constant image stays constant
// (the fixed-point weights sum to 2^22 within rounding); sizes follow int(224·long/short).
func TestResizeProperties(t *testing.T) {
	im := &Image{W: 5, H: 7, Pix: make([]uint8, 5*7*3)}
	for i := range im.Pix {
		im.Pix[i] = uint8(i * 37)
	}
	c := ResizeBicubic(im, 5, 7)
	if &c.Pix[0] == &im.Pix[0] || fmt.Sprint(c.Pix) != fmt.Sprint(im.Pix) {
		t.Errorf("same-size resize is not a fresh copy")
	}
	for _, size := range [][4]int{{474, 171, 620, 224}, {4, 234, 224, 13104}, {567, 5, 25401, 224}, {489, 490, 224, 224}, {3, 3, 224, 224}} {
		flat := &Image{W: size[0], H: size[1], Pix: make([]uint8, size[0]*size[1]*3)}
		for i := range flat.Pix {
			flat.Pix[i] = 200
		}
		rw, rh := NewProcessor(DefaultProcessorConfig()).ResizedSize(size[0], size[1])
		if rw != size[2] || rh != size[3] { // sizes from manifest special_checks.pillow_bicubic_recipe_random_images
			t.Errorf("%dx%d resizes to %dx%d, want %dx%d", size[0], size[1], rw, rh, size[2], size[3])
		}
		r := ResizeBicubic(flat, rw, rh)
		for k, v := range r.Pix {
			if v != 200 {
				t.Fatalf("%dx%d → %dx%d: constant 200 became %d at %d", size[0], size[1], rw, rh, v, k)
			}
		}
	}
}

// TestFloatAndIntConversion: float inputs are truncated (0.999·255 → 254), integer ones
// wrap like numpy's astype(uint8); LoadImage's v/255 values map back exactly.
func TestFloatAndIntConversion(t *testing.T) {
	f := FromFloat32CHW(1, 1, []float32{0.999, 1, 0.5})
	if f.Pix[0] != 254 || f.Pix[1] != 255 || f.Pix[2] != 127 {
		t.Errorf("float conversion %v, want [254 255 127]", f.Pix)
	}
	i := FromInt64CHW(1, 1, []int64{255, 256, -1})
	if i.Pix[0] != 255 || i.Pix[1] != 0 || i.Pix[2] != 255 {
		t.Errorf("int conversion %v, want [255 0 255]", i.Pix)
	}
	for u := range 256 {
		if v := float32(u) / 255; uint8(math.Round(float64(v)*255)) != uint8(u) {
			t.Fatalf("level %d does not round-trip through float32(u)/255", u)
		}
	}
}
