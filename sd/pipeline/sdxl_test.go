package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/tome"
)

// The tiny SDXL pipeline (sdxl/tiny_sdxl) and one StableDiffusionXLPipeline generation
// recorded from diffusers v0.19.3 (sdxl/run: 96×128, 20 Euler steps, guidance 5, given
// initial latents; manifest.json lists every file).
var (
	sdxlPipeline = filepath.Join(fixtures, "sdxl", "tiny_sdxl")
	sdxlRun      = filepath.Join(fixtures, "sdxl", "run")
)

func openSDXL(t *testing.T, opts Options) *Pipeline {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sdxlRun, "manifest.json")); err != nil {
		t.Skipf("SDXL fixtures absent (%v)", err)
	}
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	p, err := Open(sdxlPipeline, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if !p.IsSDXL() {
		t.Fatal("tiny_sdxl not opened as SDXL")
	}
	return p
}

func within(t *testing.T, what string, got []float32, file string, tol float64) {
	t.Helper()
	want := testutil.ReadNPY(t, filepath.Join(sdxlRun, file)).Float32s()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, %s has %d", what, len(got), file, len(want))
	}
	d := testutil.MaxAbsDiff(got, want)
	t.Logf("%s: max |Go − diffusers| = %.3g", what, d)
	if d > tol {
		t.Errorf("%s: max abs diff %.3g > %g", what, d, tol)
	}
}

// TestSDXLGolden runs the recorded generation and compares every stage with diffusers:
// the UNet's conditioning inputs (prompt_embeds from both encoders' penultimate states,
// zeroed negatives, pooled text_embeds, add_time_ids (96, 128, 0, 0, 96, 128)), the
// timesteps, each step's UNet input and latents, the decoder output and the image.
func TestSDXLGolden(t *testing.T) {
	p := openSDXL(t, Options{})
	if p.Scheduler() != "EulerDiscreteScheduler" {
		t.Fatalf("scheduler %s", p.Scheduler())
	}
	var samples, latents [][]float32
	var ts []float64
	var feeds0 map[string][]float32
	req := Request{
		Prompts:       []string{"A high quality photograph of a tench."},
		Height:        96,
		Width:         128,
		Steps:         20,
		GuidanceScale: 5,
		Latents:       testutil.ReadNPY(t, filepath.Join(sdxlRun, "latents_init.npy")).Float32s(),
		BeforeUNet: func(step int, t float64, feeds map[string]*ort.Tensor) error {
			if step == 0 {
				feeds0 = map[string][]float32{}
				for k, v := range feeds {
					feeds0[k] = slices.Clone(v.Float32s())
				}
			}
			samples = append(samples, slices.Clone(feeds["sample"].Float32s()))
			ts = append(ts, t)
			return nil
		},
		AfterStep: func(s *StepInfo) error {
			latents = append(latents, slices.Clone(s.Latents))
			return nil
		},
	}
	res, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantT := testutil.ReadNPY(t, filepath.Join(sdxlRun, "timesteps.npy")).Float64s()
	if !slices.Equal(ts, wantT) {
		t.Errorf("timesteps %v, diffusers %v", ts, wantT)
	}
	within(t, "encoder_hidden_states", feeds0["encoder_hidden_states"], "unet_in_encoder_hidden_states.npy", 1e-5)
	within(t, "text_embeds", feeds0["text_embeds"], "unet_in_text_embeds.npy", 1e-5)
	within(t, "time_ids", feeds0["time_ids"], "unet_in_time_ids.npy", 0)
	allSamples := testutil.ReadNPY(t, filepath.Join(sdxlRun, "unet_in_sample.npy")).Float32s()
	allLatents := testutil.ReadNPY(t, filepath.Join(sdxlRun, "latents_after_step.npy")).Float32s()
	worstS, worstL := 0.0, 0.0
	for i := range samples {
		n := len(samples[i])
		worstS = max(worstS, testutil.MaxAbsDiff(samples[i], allSamples[i*n:(i+1)*n]))
		m := len(latents[i])
		worstL = max(worstL, testutil.MaxAbsDiff(latents[i], allLatents[i*m:(i+1)*m]))
	}
	t.Logf("worst step: UNet input %.3g, latents %.3g", worstS, worstL)
	if worstS > 1e-4 || worstL > 1e-4 || len(latents) != 20 {
		t.Errorf("%d steps; worst UNet input diff %.3g, latents diff %.3g (limit 1e-4)", len(latents), worstS, worstL)
	}
	within(t, "image", res.Pixels, "image.npy", 1e-4)
	want8 := testutil.ReadNPY(t, filepath.Join(sdxlRun, "image_uint8.npy"))
	bad := 0
	for i, v := range want8.U8 {
		px := res.Images[0].Pix[(i/3)*4+i%3]
		if d := int(px) - int(v); d > 1 || d < -1 {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d 8-bit values differ by more than 1 from diffusers' image", bad)
	}
}

// TestSDXLNegativePrompts checks the two negative rules of StableDiffusionXLPipeline:
// no negative prompt with force_zeros_for_empty_prompt gives zeros; an explicit ""
// is encoded (run/*_explicit_empty).
func TestSDXLNegativePrompts(t *testing.T) {
	p := openSDXL(t, Options{})
	prompt := []string{"A high quality photograph of a tench."}
	for _, tc := range []struct {
		neg                  []string
		wantEmbeds, wantPool string
	}{
		{nil, "negative_prompt_embeds.npy", "negative_pooled_prompt_embeds.npy"},
		{[]string{""}, "negative_prompt_embeds_explicit_empty.npy", "negative_pooled_prompt_embeds_explicit_empty.npy"},
	} {
		t.Run(fmt.Sprintf("negative=%q", tc.neg), func(t *testing.T) {
			e, pooled, err := p.conditioning(Request{Prompts: prompt, NegativePrompts: tc.neg}, true)
			if err != nil {
				t.Fatal(err)
			}
			within(t, "negative prompt_embeds", e[:len(e)/2], tc.wantEmbeds, 1e-5)
			within(t, "negative pooled", pooled[:len(pooled)/2], tc.wantPool, 1e-5)
			within(t, "prompt_embeds", e[len(e)/2:], "prompt_embeds.npy", 1e-5)
			within(t, "pooled", pooled[len(pooled)/2:], "pooled_prompt_embeds.npy", 1e-5)
		})
	}
}

// TestSDXLToMe prepares ToMe-patched SDXL UNets: with max_downsample 1 nothing is
// eligible (SDXL has no transformer blocks at full resolution) and the report says so;
// with 2 (and 3) the ten 2×-downsampled blocks, with 4 all 22; generation runs with them.
func TestSDXLToMe(t *testing.T) {
	p := openSDXL(t, Options{})
	base := Request{Prompts: []string{"a tench"}, Height: 96, Width: 128, Steps: 2, GuidanceScale: 5, Seed: 3}
	ref, err := p.Generate(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		md, patched int
	}{{1, 0}, {2, 10}, {3, 10}, {4, 22}} { // levels sit at downsample 2 and 4: 3 adds nothing
		t.Run(fmt.Sprintf("max_downsample=%d", tc.md), func(t *testing.T) {
			o := tome.DefaultOptions()
			o.MaxDownsample = tc.md
			u, err := p.PrepareUNet(t.Context(), &o, 96, 128)
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			patched, total := u.Blocks()
			t.Logf("patched %d of %d blocks; warnings %v", patched, total, u.Report.Warnings)
			if patched != tc.patched || total != 22 {
				t.Fatalf("patched %d of %d, want %d of 22", patched, total, tc.patched)
			}
			if patched == 0 && len(u.Report.Warnings) == 0 {
				t.Error("nothing patched and no warning")
			}
			req := base
			req.UNet = u
			res, err := p.Generate(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			same := slices.Equal(res.Latents, ref.Latents)
			if same != (patched == 0) {
				t.Errorf("latents equal to unpatched: %v with %d blocks patched", same, patched)
			}
		})
	}
}

// TestSDXLFP16 converts tiny_sdxl to float16: the UNet and text encoders run in float16,
// the VAE decoder stays float32 because its config says force_upcast (what
// StableDiffusionXLPipeline does with a float16 VAE), and the image stays near
// diffusers' float32 one (float16 rounding over 20 steps: measured 7.2e-4; limit 5e-3).
func TestSDXLFP16(t *testing.T) {
	if testing.Short() {
		t.Skip("float16 on the CPU is slow; skipped with -short")
	}
	p := openSDXL(t, Options{Precision: "fp16", Threads: 1})
	if !p.BaseUNet().Float16() || p.vae.in.DType != ort.Float32 {
		t.Fatalf("UNet float16 %v, VAE decoder input %v (want float16 UNet, float32 VAE)", p.BaseUNet().Float16(), p.vae.in.DType)
	}
	res, err := p.Generate(t.Context(), Request{
		Prompts: []string{"A high quality photograph of a tench."}, Height: 96, Width: 128, Steps: 20, GuidanceScale: 5,
		Latents: testutil.ReadNPY(t, filepath.Join(sdxlRun, "latents_init.npy")).Float32s(),
	})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "fp16 image", res.Pixels, "image.npy", 5e-3)
}

// TestSDXLEncodeText checks that EncodeText gives SDXL's prompt_embeds (both encoders'
// penultimate states) on an SDXL pipeline.
func TestSDXLEncodeText(t *testing.T) {
	p := openSDXL(t, Options{})
	e, err := p.EncodeText([]string{"A high quality photograph of a tench."}, 0)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "EncodeText", e, "prompt_embeds.npy", 1e-5)
}
