package models

import (
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// TestTextEncoderGolden checks the built CLIPTextModel against transformers 4.26.1
// (pipeline/text_encoder: last_hidden_state and pooler_output for input_ids, 8×77).
func TestTextEncoderGolden(t *testing.T) {
	dir := filepath.Join(fixtures, "pipeline/text_encoder")
	cfg, err := diffusers.ReadCLIPTextConfig(filepath.Join(dir, "text_encoder/config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := diffusers.OpenWeights(filepath.Join(dir, "text_encoder"), diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ids := testutil.ReadNPY(t, filepath.Join(dir, "input_ids.npy"))
	last := testutil.ReadNPY(t, filepath.Join(dir, "last_hidden_state.npy"))
	pooled := testutil.ReadNPY(t, filepath.Join(dir, "pooler_output.npy"))
	for _, tc := range []struct {
		name string
		opt  Options
		tol  float64
	}{
		{"int32 opset17", Options{}, 1e-4},
		{"int64 opset14", Options{InputIDsInt64: true, Opset: 14}, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(cfg, w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			shape := []int64{int64(ids.Shape[0]), int64(ids.Shape[1])}
			var in *ort.Tensor
			if tc.opt.InputIDsInt64 {
				in = ort.NewInt64(shape, ids.Int64s())
			} else {
				v := make([]int32, 0, len(ids.Int64s()))
				for _, x := range ids.Int64s() {
					v = append(v, int32(x))
				}
				in = ort.NewInt32(shape, v)
			}
			out := runModel(t, m, map[string]*ort.Tensor{TextInputIDs: in}, TextLastHiddenState, TextPoolerOutput)
			d1 := maxAbsDiff(t, out[TextLastHiddenState].Float32s(), last.Float32s())
			d2 := maxAbsDiff(t, out[TextPoolerOutput].Float32s(), pooled.Float32s())
			t.Logf("max diff last_hidden_state %.3g, pooler_output %.3g", d1, d2)
			if d1 > tc.tol || d2 > tc.tol {
				t.Errorf("max diff %.3g / %.3g > %.g", d1, d2, tc.tol)
			}
		})
	}
}

// TestVAEDecoderGolden checks the built decoder against diffusers 0.19.3
// (pipeline/vae: sample = vae.decode(latent / 0.18215)).
func TestVAEDecoderGolden(t *testing.T) {
	dir := filepath.Join(fixtures, "pipeline/vae")
	cfg, err := diffusers.ReadVAEConfig(filepath.Join(dir, "vae/config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := diffusers.OpenWeights(filepath.Join(dir, "vae"), diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	z := testutil.ReadNPY(t, filepath.Join(dir, "latent_scaled.npy"))
	want := testutil.ReadNPY(t, filepath.Join(dir, "sample.npy"))
	for _, tc := range []struct {
		name string
		opt  Options
		tol  float64
	}{
		{"dynamic", Options{}, 1e-4},
		{"fixed 8x8 opset14", Options{Height: 8, Width: 8, Opset: 14}, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(cfg, w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			out := runModel(t, m, map[string]*ort.Tensor{VAELatentSample: f32Tensor(z)}, VAESample)[VAESample]
			d := maxAbsDiff(t, out.Float32s(), want.Float32s())
			t.Logf("max |built − torch| = %.3g", d)
			if d > tc.tol {
				t.Errorf("max abs diff %.3g > %.g", d, tc.tol)
			}
		})
	}
}
