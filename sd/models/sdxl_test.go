package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/diffusers"
	"github.com/tomebench/tomebench/tome"
)

// The tiny SDXL fixtures (sdxl/ in ../shared/fixtures, README section sdxl/): a
// StableDiffusionXLPipeline folder with random weights (diffusers 0.19.3, transformers
// 4.26.1), one recorded generation (run/) and single UNet calls with and without tomesd
// (unet_tome/, tomesd 27a14a3).
var (
	sdxlDir     = filepath.Join(fixtures, "sdxl")
	sdxlPipe    = filepath.Join(sdxlDir, "tiny_sdxl")
	sdxlRun     = filepath.Join(sdxlDir, "run")
	sdxlUNetTom = filepath.Join(sdxlDir, "unet_tome")
)

// requireSDXLFixtures skips (saying why) when the SDXL fixtures are absent.
func requireSDXLFixtures(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sdxlUNetTom, "manifest.json")); err != nil {
		t.Skipf("SDXL fixtures absent (%v): nothing to compare with", err)
	}
}

func loadSDXLComponent[C any](t *testing.T, name string, read func(string) (C, error)) (C, *diffusers.Weights) {
	t.Helper()
	dir := filepath.Join(sdxlPipe, name)
	cfg, err := read(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := diffusers.OpenWeights(dir, diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return cfg, w
}

// sdxlUNetInputs reads the batch-2 inputs of unet_tome (sample, t = 951, encoder states
// [2,77,48], text_embeds [2,24], time_ids [2,6] with rows that differ).
func sdxlUNetInputs(t *testing.T) map[string]*ort.Tensor {
	in := map[string]*ort.Tensor{}
	for name, file := range map[string]string{UNetSample: "sample", UNetTimestep: "timestep",
		UNetEncoderHiddenStates: "encoder_hidden_states", UNetTextEmbeds: "text_embeds", UNetTimeIDs: "time_ids"} {
		in[name] = f32Tensor(testutil.ReadNPY(t, filepath.Join(sdxlUNetTom, file+".npy")))
	}
	return in
}

// TestSDXLUNetGolden checks the tiny SDXL UNet (transformer depth (1, 2, 2), heads
// (1, 2, 4) per level, linear projections, text_time embedding) built from its diffusers
// folder — and the fixture's torch.onnx.export of it — against torch's output, unpatched
// and patched by tome.Patch with tomesd's recorded partitions (expected values:
// unet_tome/out_*.npy, UNet2DConditionModel + tomesd.apply_patch on the CPU in fp32).
func TestSDXLUNetGolden(t *testing.T) {
	requireSDXLFixtures(t)
	raw, err := os.ReadFile(filepath.Join(sdxlUNetTom, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Tome struct{ Runs map[string]tomeRun }
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	cfg, w := loadSDXLComponent(t, "unet", diffusers.ReadUNetConfig)
	exported := func(t *testing.T) *onnx.Model {
		m, err := onnx.Load(filepath.Join(sdxlUNetTom, "onnx/model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	built := func(opt Options) func(t *testing.T) *onnx.Model {
		return func(t *testing.T) *onnx.Model {
			m, err := Build(cfg, w, opt)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	graphs := []struct {
		name   string
		model  func(t *testing.T) *onnx.Model
		latent [2]int
	}{
		{"built dynamic", built(Options{}), [2]int{32, 32}},
		{"built fixed 32x32 opset14", built(Options{Height: 32, Width: 32, Opset: 14}), [2]int{}},
		{"exported", exported, [2]int{}},
	}
	cases := []struct {
		run     string // "" = unpatched
		patched int    // blocks tome.Patch must patch
		tol     float64
	}{
		{"", 0, 1e-4},
		{"tome_default", 0, 1e-4},         // max_downsample 1: SDXL has no attention at full resolution
		{"tome_r50_norand_md2", 10, 1e-4}, // down_blocks.1 (4 blocks) and up_blocks.1 (6), 256 tokens
		{"tome_r50_rand_md2", 10, 1e-4},
	}
	for _, g := range graphs {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s", g.name, tc.run), func(t *testing.T) {
				m := g.model(t)
				in := sdxlUNetInputs(t)
				want := "out_unpatched"
				if tc.run != "" {
					run, ok := man.Tome.Runs[tc.run]
					if !ok {
						t.Fatalf("manifest has no run %s", tc.run)
					}
					want = run.Output
					rep, err := tome.Patch(m, tome.PatchOptions{Options: tomeOptions(t, run.Kwargs), Latent: g.latent})
					if err != nil {
						t.Fatal(err)
					}
					if rep.Patched != tc.patched || rep.Patched != len(run.Calls) {
						t.Fatalf("patched %d blocks; want %d (tomesd merged in %d calls)", rep.Patched, tc.patched, len(run.Calls))
					}
					if rep.Patched == 0 && len(rep.Warnings) == 0 {
						t.Errorf("nothing patched and no warning says why")
					}
					for _, wn := range rep.Warnings {
						t.Logf("warning: %v", wn)
					}
					for k, c := range run.Calls {
						if c.RandIdx != nil {
							a := testutil.ReadNPY(t, filepath.Join(sdxlUNetTom, c.RandIdx.File))
							in[tome.RandInputName(k)] = ort.NewInt64([]int64{int64(a.Shape[0]), int64(a.Shape[1])}, a.Int64s())
						}
					}
				}
				out := runModel(t, m, in, UNetOutSample)[UNetOutSample]
				d := maxAbsDiff(t, out.Float32s(), testutil.ReadNPY(t, filepath.Join(sdxlUNetTom, want+".npy")).Float32s())
				t.Logf("max |ONNX − torch| = %.3g (%s)", d, want)
				if d > tc.tol {
					t.Errorf("max abs diff %.3g > %g", d, tc.tol)
				}
			})
		}
	}
}

// TestSDXLTextEncoders checks both text encoders against transformers 4.26.1 on the run's
// token ids (run/: te*_hidden_states_penultimate = hidden_states[-2], te*_last_hidden_state,
// pooled_prompt_embeds = text_encoder_2's text_embeds).
func TestSDXLTextEncoders(t *testing.T) {
	requireSDXLFixtures(t)
	ids := func(file string) *ort.Tensor {
		a := testutil.ReadNPY(t, filepath.Join(sdxlRun, file))
		v := make([]int32, 0, 77)
		for _, x := range a.Int64s() {
			v = append(v, int32(x))
		}
		return ort.NewInt32([]int64{int64(a.Shape[0]), int64(a.Shape[1])}, v)
	}
	cases := []struct {
		enc, ids, prefix string
		opt              Options
		pooled           string // expected text_embeds ("" for text_encoder)
		tol              float64
	}{
		{"text_encoder", "input_ids_1.npy", "te1", Options{HiddenStates: true}, "", 1e-5},
		{"text_encoder_2", "input_ids_2.npy", "te2", Options{}, "pooled_prompt_embeds.npy", 1e-5},
		{"text_encoder_2", "input_ids_2.npy", "te2", Options{Opset: 14}, "pooled_prompt_embeds.npy", 1e-5},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/opset%d", tc.enc, tc.opt.opset()), func(t *testing.T) {
			cfg, w := loadSDXLComponent(t, tc.enc, diffusers.ReadCLIPTextConfig)
			m, err := Build(cfg, w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			pen := PenultimateHiddenState(cfg.NumHiddenLayers)
			outs := []string{TextLastHiddenState, pen}
			if tc.pooled != "" {
				outs = append(outs, TextEmbeds)
			}
			got := runModel(t, m, map[string]*ort.Tensor{TextInputIDs: ids(tc.ids)}, outs...)
			check := func(out, file string) {
				d := maxAbsDiff(t, got[out].Float32s(), testutil.ReadNPY(t, filepath.Join(sdxlRun, file)).Float32s())
				t.Logf("%s: max diff %.3g", out, d)
				if d > tc.tol {
					t.Errorf("%s: max abs diff %.3g > %g", out, d, tc.tol)
				}
			}
			check(TextLastHiddenState, tc.prefix+"_last_hidden_state.npy")
			check(pen, tc.prefix+"_hidden_states_penultimate.npy")
			if tc.pooled != "" {
				check(TextEmbeds, tc.pooled)
			}
		})
	}
}

// TestSDXLVAEDecoder checks the SDXL-style VAE decoder (4 levels, scaling_factor 0.13025)
// on the run's decoder input (run/vae_decode_input = latents / 0.13025) against
// vae.decoder's output recorded in diffusers 0.19.3.
func TestSDXLVAEDecoder(t *testing.T) {
	requireSDXLFixtures(t)
	cfg, w := loadSDXLComponent(t, "vae", diffusers.ReadVAEConfig)
	if cfg.ScalingFactor != 0.13025 || !cfg.ForceUpcast {
		t.Errorf("scaling_factor %v, force_upcast %v; want 0.13025, true", cfg.ScalingFactor, cfg.ForceUpcast)
	}
	m, err := Build(cfg, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	z := testutil.ReadNPY(t, filepath.Join(sdxlRun, "vae_decode_input.npy"))
	out := runModel(t, m, map[string]*ort.Tensor{VAELatentSample: f32Tensor(z)}, VAESample)[VAESample]
	d := maxAbsDiff(t, out.Float32s(), testutil.ReadNPY(t, filepath.Join(sdxlRun, "vae_decoder_output.npy")).Float32s())
	t.Logf("max |built − torch| = %.3g", d)
	if d > 1e-4 {
		t.Errorf("max abs diff %.3g > 1e-4", d)
	}
}

// TestConvertSDXL converts tiny_sdxl (both encoders, tokenizer_2, SDXL's model_index
// entries) and refuses an SDXL refiner-style folder with a message naming it.
func TestConvertSDXL(t *testing.T) {
	requireSDXLFixtures(t)
	out := filepath.Join(t.TempDir(), "onnx")
	res, err := Convert(sdxlPipe, out, ConvertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) < 4 {
		t.Errorf("%d components converted, want text_encoder, unet, vae_decoder, text_encoder_2", len(res.Components))
	}
	for _, f := range []string{"text_encoder_2/model.onnx", "tokenizer_2/vocab.json", "tokenizer_2/special_tokens_map.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	idx, err := os.ReadFile(filepath.Join(out, "model_index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mi map[string]any
	if err := json.Unmarshal(idx, &mi); err != nil {
		t.Fatal(err)
	}
	if mi["_class_name"] != "OnnxStableDiffusionXLPipeline" || mi["force_zeros_for_empty_prompt"] != true {
		t.Errorf("model_index.json: %s", idx)
	}

	// A refiner: text_encoder_2 only, requires_aesthetics_score.
	ref := t.TempDir()
	if err := os.CopyFS(ref, os.DirFS(sdxlPipe)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(ref, "text_encoder")); err != nil {
		t.Fatal(err)
	}
	index := `{"_class_name": "StableDiffusionXLImg2ImgPipeline", "requires_aesthetics_score": true,
	  "scheduler": ["diffusers", "EulerDiscreteScheduler"], "text_encoder": [null, null],
	  "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"], "tokenizer": [null, null],
	  "tokenizer_2": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
	  "vae": ["diffusers", "AutoencoderKL"]}`
	if err := os.WriteFile(filepath.Join(ref, "model_index.json"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Convert(ref, filepath.Join(t.TempDir(), "x"), ConvertOptions{})
	if err == nil || !strings.Contains(err.Error(), "SDXL refiner") {
		t.Errorf("refiner folder: err = %v; want one naming the SDXL refiner", err)
	}
}
