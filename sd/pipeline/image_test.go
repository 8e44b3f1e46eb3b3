package pipeline

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/testutil"
)

// vaeFixture is a tiny AutoencoderKL's decoder run by diffusers v0.19.3
// (pipeline/vae/manifest.json).
var vaeFixture = filepath.Join(fixtures, "pipeline", "vae")

// TestPostprocessFixture follows the decoder fixture through the pipeline's float32
// arithmetic: latent/0.18215, clamp(x/2+0.5, 0, 1) channels last, and numpy_to_pil's
// (x*255).round(). All three are computed exactly as torch and numpy do, so the
// tolerance is 0.
func TestPostprocessFixture(t *testing.T) {
	latent := testutil.ReadNPY(t, filepath.Join(vaeFixture, "latent.npy")).Float32s()
	if got, want := unscale(latent, 0.18215), testutil.ReadNPY(t, filepath.Join(vaeFixture, "latent_scaled.npy")).Float32s(); testutil.MaxAbsDiff(got, want) != 0 {
		t.Errorf("latent/0.18215: max abs diff %g from torch", testutil.MaxAbsDiff(got, want))
	}
	sample := testutil.ReadNPY(t, filepath.Join(vaeFixture, "sample.npy"))
	B, H, W := sample.Shape[0], sample.Shape[2], sample.Shape[3]
	pixels := postprocess(sample.Float32s(), B, H, W)
	if want := testutil.ReadNPY(t, filepath.Join(vaeFixture, "image_np.npy")).Float32s(); testutil.MaxAbsDiff(pixels, want) != 0 {
		t.Errorf("postprocess: max abs diff %g from diffusers' image_np", testutil.MaxAbsDiff(pixels, want))
	}
	img := toRGB8(pixels, B, H, W)[0]
	want := testutil.ReadNPY(t, filepath.Join(vaeFixture, "image_uint8.npy")).U8
	var got []byte
	for p := range H * W {
		got = append(got, img.Pix[p*4:p*4+3]...)
		if img.Pix[p*4+3] != 255 {
			t.Fatalf("pixel %d has alpha %d", p, img.Pix[p*4+3])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("8-bit image differs from numpy_to_pil's")
	}
}

// TestRoundHalfEven: numpy's round() sends halves to even, so 0.5/255 -> 0 and
// 1.5/255 -> 2 (x*255 is computed in float32 first).
func TestRoundHalfEven(t *testing.T) {
	cases := []struct {
		x    float32
		want byte
	}{{0, 0}, {1, 255}, {0.5 / 255, 0}, {1.5 / 255, 2}, {2.5 / 255, 2}, {0.5, 128}, {0.998, 254}}
	for _, c := range cases {
		px := []float32{c.x, c.x, c.x}
		if got := toRGB8(px, 1, 1, 1)[0].Pix[0]; got != c.want {
			t.Errorf("%v -> %d, want %d", c.x, got, c.want)
		}
	}
}

// TestWritePNG writes an image, reads it back, and checks that it is 8-bit RGB and that
// no temporary file is left.
func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	px := make([]float32, 5*7*3)
	for i := range px {
		px[i] = float32(i%11) / 10
	}
	img := toRGB8(px, 1, 5, 7)[0]
	path := filepath.Join(dir, "a.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(path, img); err != nil { // replacing works too
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if data[25] != 2 || data[24] != 8 { // IHDR bit depth, colour type 2 = RGB
		t.Errorf("bit depth %d, colour type %d; want 8-bit RGB", data[24], data[25])
	}
	back, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for y := range 5 {
		for x := range 7 {
			r, g, b, _ := back.At(x, y).RGBA()
			o := img.PixOffset(x, y)
			if byte(r>>8) != img.Pix[o] || byte(g>>8) != img.Pix[o+1] || byte(b>>8) != img.Pix[o+2] {
				t.Fatalf("pixel (%d, %d) changed in the round trip", x, y)
			}
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %d entries after writing, want only a.png", len(ents))
	}
	if err := WritePNG(filepath.Join(dir, "missing", "b.png"), img); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}
