package models

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// TestUNetFloat16 checks fp16 graphs of the tiny UNet against the fp32 graph's output
// (torch's out_unpatched, which the fp32 graph matches to ~2e-6).
func TestUNetFloat16(t *testing.T) {
	cfg, w := loadTinyUNet(t)
	sample := testutil.ReadNPY(t, filepath.Join(tinyGolden, "sample.npy"))
	ehs := testutil.ReadNPY(t, filepath.Join(tinyGolden, "encoder_hidden_states.npy"))
	ts := testutil.ReadNPY(t, filepath.Join(tinyGolden, "timestep.npy"))
	want := testutil.ReadNPY(t, filepath.Join(tinyGolden, "out_unpatched.npy"))
	for _, tc := range []struct {
		name string
		opt  Options
		tol  float64
	}{
		{"fp16 IO", Options{Float16: true}, 2e-2},
		{"fp32 IO", Options{Float16: true, Float32IO: true}, 2e-2},
		{"fp16 IO opset14", Options{Float16: true, Opset: 14}, 2e-2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(cfg, w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*ort.Tensor{UNetTimestep: f32Tensor(ts)}
			if tc.opt.Float32IO {
				in[UNetSample], in[UNetEncoderHiddenStates] = f32Tensor(sample), f32Tensor(ehs)
			} else {
				in[UNetSample], in[UNetEncoderHiddenStates] = f16Tensor(sample), f16Tensor(ehs)
			}
			out := runModelShapes(t, m, in, map[string][]int64{UNetOutSample: {2, 4, 32, 32}}, UNetOutSample)[UNetOutSample]
			d := maxAbsDiff(t, out.Float32s(), want.Float32s())
			t.Logf("max |fp16 graph − fp32 torch| = %.3g (output dtype %v)", d, out.DType)
			if d > tc.tol {
				t.Errorf("max abs diff %.3g > %.g", d, tc.tol)
			}
		})
	}
}

// TestTextEncoderVAEFloat16 checks fp16 graphs of the tiny text encoder and VAE decoder
// against torch's fp32 outputs (pipeline/text_encoder, pipeline/vae).
func TestTextEncoderVAEFloat16(t *testing.T) {
	te, tw := openComponent(t, "pipeline/text_encoder/text_encoder")
	m, err := Build(te, tw, Options{Float16: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(fixtures, "pipeline/text_encoder")
	ids := testutil.ReadNPY(t, filepath.Join(dir, "input_ids.npy"))
	v := make([]int32, 0, 8*77)
	for _, x := range ids.Int64s() {
		v = append(v, int32(x))
	}
	out := runModelShapes(t, m, map[string]*ort.Tensor{TextInputIDs: ort.NewInt32([]int64{8, 77}, v)},
		map[string][]int64{TextLastHiddenState: {8, 77, 32}, TextPoolerOutput: {8, 32}}, TextLastHiddenState, TextPoolerOutput)
	d := maxAbsDiff(t, out[TextLastHiddenState].Float32s(), testutil.ReadNPY(t, filepath.Join(dir, "last_hidden_state.npy")).Float32s())
	t.Logf("text encoder fp16: max diff %.3g", d)
	if d > 2e-2 {
		t.Errorf("text encoder fp16: max abs diff %.3g > 2e-2", d)
	}

	vc, vw := openComponent(t, "pipeline/vae/vae")
	m, err = Build(vc, vw, Options{Float16: true})
	if err != nil {
		t.Fatal(err)
	}
	vdir := filepath.Join(fixtures, "pipeline/vae")
	o := runModelShapes(t, m, map[string]*ort.Tensor{VAELatentSample: f16Tensor(testutil.ReadNPY(t, filepath.Join(vdir, "latent_scaled.npy")))},
		map[string][]int64{VAESample: {1, 3, 16, 16}}, VAESample)
	d = maxAbsDiff(t, o[VAESample].Float32s(), testutil.ReadNPY(t, filepath.Join(vdir, "sample.npy")).Float32s())
	t.Logf("vae decoder fp16: max diff %.3g", d)
	if d > 2e-2 {
		t.Errorf("vae fp16: max abs diff %.3g > 2e-2", d)
	}
}

// openComponent reads a component folder of the fixtures (config and weights).
func openComponent(t *testing.T, rel string) (Config, *diffusers.Weights) {
	t.Helper()
	dir := filepath.Join(fixtures, rel)
	w, err := diffusers.OpenWeights(dir, diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	var cfg Config
	if strings.HasSuffix(rel, "text_encoder") {
		cfg, err = diffusers.ReadCLIPTextConfig(filepath.Join(dir, "config.json"))
	} else {
		cfg, err = diffusers.ReadVAEConfig(filepath.Join(dir, "config.json"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg, w
}
