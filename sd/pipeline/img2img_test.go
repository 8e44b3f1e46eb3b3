package pipeline

import (
	"context"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

var img2imgDir = filepath.Join(fixtures, "pipeline", "img2img")

func openTinyForImg2Img(t *testing.T, sched string) *Pipeline {
	t.Helper()
	orttest.Require(t)
	if _, err := os.Stat(img2imgDir); err != nil {
		t.Skip("no img2img fixture")
	}
	p, err := Open(tinyPipeline, Options{Threads: 1, CacheDir: img2imgCache(t), Scheduler: sched})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var img2imgCacheDir string

// img2imgCache shares one conversion between the tests of this file.
func img2imgCache(t *testing.T) string {
	if img2imgCacheDir == "" {
		d, err := os.MkdirTemp("", "img2img-cache-")
		if err != nil {
			t.Fatal(err)
		}
		img2imgCacheDir = d
	}
	return img2imgCacheDir
}

// TestVAEEncoderGolden: the built encoder's moments and the posterior's latents against
// diffusers' (img2img/vae_encoder, torch fp32).
func TestVAEEncoderGolden(t *testing.T) {
	p := openTinyForImg2Img(t, "")
	dir := filepath.Join(img2imgDir, "vae_encoder")
	x := testutil.ReadNPY(t, filepath.Join(dir, "image_preprocessed.npy")).Float32s()
	f, err := os.Open(filepath.Join(img2imgDir, "init.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	px, H, W, err := InitPixels([]image.Image{img})
	if err != nil || H != 64 || W != 64 || !slices.Equal(px, x) {
		t.Fatalf("InitPixels(init.png) differs from image_preprocessed.npy (%v, %dx%d)", err, W, H)
	}
	m, shape, err := p.Moments(x, 1, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := testutil.ReadNPY(t, filepath.Join(dir, "moments.npy")).Float32s()
	if d := testutil.MaxAbsDiff(m, want); d > 1e-5 || !slices.Equal(shape, []int64{1, 8, 32, 32}) {
		t.Errorf("moments: max |diff| %g (limit 1e-5), shape %v", d, shape)
	} else {
		t.Logf("moments: max |diff| %.3g", d)
	}
	eps := testutil.ReadNPY(t, filepath.Join(dir, "eps.npy")).Float32s()
	lat := encodeLatents(want, 1, 4, 4*32*32, eps, 0.18215)
	if d := testutil.MaxAbsDiff(lat, testutil.ReadNPY(t, filepath.Join(dir, "latents.npy")).Float32s()); d > 1e-6 {
		t.Errorf("latents from diffusers' moments: max |diff| %g", d)
	}
}

// TestImg2ImgGolden replays diffusers' img2img runs (strength 0.75, 20 steps, guidance
// 7.5, PNDM and DDIM) with their two recorded draws and compares every latent and the
// image (limit 1e-4, the issue's).
func TestImg2ImgGolden(t *testing.T) {
	for _, c := range []struct{ run, sched string }{{"run_pndm", ""}, {"run_ddim", "ddim"}} {
		t.Run(c.run, func(t *testing.T) {
			p := openTinyForImg2Img(t, c.sched)
			run := filepath.Join(img2imgDir, c.run)
			read := func(name string) []float32 { return testutil.ReadNPY(t, filepath.Join(run, name+".npy")).Float32s() }
			after := read("latents_after_step")
			unetOut := read("unet_out")
			per := 4 * 32 * 32
			var worstStep, worstOut float64
			req := Request{Prompts: []string{"A high quality photograph of a tench."}, Steps: 20, GuidanceScale: 7.5}
			req.AfterStep = func(s *StepInfo) error {
				worstStep = max(worstStep, testutil.MaxAbsDiff(s.Latents, after[s.Step*per:(s.Step+1)*per]))
				worstOut = max(worstOut, testutil.MaxAbsDiff(s.NoisePred, unetOut[s.Step*2*per:(s.Step+1)*2*per]))
				return nil
			}
			res, err := p.Img2Img(context.Background(), req, Init{
				Pixels: read("encode_in"), Height: 64, Width: 64, Strength: 0.75,
				NoiseVAE: read("noise_vae"), NoiseAdd: read("noise_add"),
			})
			if err != nil {
				t.Fatal(err)
			}
			wantT := testutil.ReadNPY(t, filepath.Join(run, "timesteps.npy")).Int64s()
			gotT := make([]int64, len(res.Timesteps))
			for i, v := range res.Timesteps {
				gotT[i] = int64(v)
			}
			if !slices.Equal(gotT, wantT) {
				t.Fatalf("timesteps %v, want %v", gotT, wantT)
			}
			checks := []struct {
				name string
				d    float64
			}{
				{"init_latents", testutil.MaxAbsDiff(res.InitLatents, read("init_latents"))},
				{"latents_start", testutil.MaxAbsDiff(res.StartLatents, read("latents_start"))},
				{"every step's latents", worstStep},
				{"every UNet output", worstOut},
				{"final latents", testutil.MaxAbsDiff(res.Latents, after[len(after)-per:])},
				{"decoder input", testutil.MaxAbsDiff(unscale(res.Latents, 0.18215), read("decode_in"))},
				{"image", testutil.MaxAbsDiff(res.Pixels, read("image"))},
			}
			for _, ch := range checks {
				if ch.d > 1e-4 {
					t.Errorf("%s: max |diff| %g (limit 1e-4)", ch.name, ch.d)
				}
				t.Logf("%s: max |diff| %.3g", ch.name, ch.d)
			}
			if res.UNetCalls != len(wantT) {
				t.Errorf("%d UNet calls, want %d", res.UNetCalls, len(wantT))
			}
		})
	}
}
