package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

var tinyPipeline = filepath.Join(fixtures, "pipeline/tiny_pipeline")

func openSession(t *testing.T, path string) *ort.Session {
	t.Helper()
	orttest.Require(t)
	s, err := ort.NewSession(path, ort.SessionOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// slice0 returns the first entry along axis 0 of a.
func slice0(a *npy.Array) *npy.Array {
	n := len(a.Float32s()) / a.Shape[0]
	return npy.NewFloat32(a.Shape[1:], a.Float32s()[:n])
}

// TestConvertPipeline converts the fixture's tiny StableDiffusionPipeline folder and runs
// the written UNet (external weights.pb) and text encoder against the recorded pipeline
// run (pipeline/tiny_pipeline/run: first UNet call, prompt_embeds), diffusers 0.19.3.
func TestConvertPipeline(t *testing.T) {
	out := filepath.Join(t.TempDir(), "onnx")
	res, err := Convert(tinyPipeline, out, ConvertOptions{ImageSize: 64}) // tiny VAE: latent 64/2 = 32
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model_index.json", "unet/model.onnx", "unet/" + WeightsFile, "unet/config.json",
		"text_encoder/model.onnx", "vae_decoder/model.onnx", "tokenizer/vocab.json", "tokenizer/merges.txt",
		"scheduler/scheduler_config.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if len(res.Components) != 4 || res.Components[1].Params != 2140036 {
		t.Errorf("components %+v", res.Components)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}

	run := filepath.Join(tinyPipeline, "run")
	u := openSession(t, filepath.Join(out, "unet/model.onnx"))
	emb := testutil.ReadNPY(t, filepath.Join(run, "prompt_embeds.npy"))
	got, err := u.Run(map[string]*ort.Tensor{
		UNetSample:              f32Tensor(slice0(testutil.ReadNPY(t, filepath.Join(run, "unet_in_sample.npy")))),
		UNetTimestep:            ort.NewFloat32([]int64{1}, []float32{float32(testutil.ReadNPY(t, filepath.Join(run, "unet_in_timestep.npy")).Int64s()[0])}),
		UNetEncoderHiddenStates: f32Tensor(emb),
	}, []string{UNetOutSample})
	if err != nil {
		t.Fatal(err)
	}
	want := slice0(testutil.ReadNPY(t, filepath.Join(run, "unet_out.npy")))
	if d := maxAbsDiff(t, got[UNetOutSample].Float32s(), want.Float32s()); d > 1e-4 {
		t.Errorf("unet: max abs diff %.3g > 1e-4", d)
	} else {
		t.Logf("unet (timestep [1] broadcast to batch 2): max diff %.3g", d)
	}

	te := openSession(t, filepath.Join(out, "text_encoder/model.onnx"))
	var ids []int32
	for _, f := range []string{"input_ids_uncond.npy", "input_ids_cond.npy"} {
		for _, v := range testutil.ReadNPY(t, filepath.Join(run, f)).Int64s() {
			ids = append(ids, int32(v))
		}
	}
	gotE, err := te.Run(map[string]*ort.Tensor{TextInputIDs: ort.NewInt32([]int64{2, 77}, ids)}, []string{TextLastHiddenState})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, gotE[TextLastHiddenState].Float32s(), emb.Float32s()); d > 1e-4 {
		t.Errorf("text encoder: max abs diff %.3g > 1e-4", d)
	}

	// A second conversion into the now non-empty folder must fail and leave it as it was.
	if _, err := Convert(tinyPipeline, out, ConvertOptions{}); err == nil {
		t.Error("converting into a non-empty folder succeeded")
	}
}

// TestConvertComponentErrors checks that bad inputs give errors and leave nothing behind.
func TestConvertComponentErrors(t *testing.T) {
	dir := t.TempDir()
	// A UNet folder whose weights miss a tensor: copy the config only, with weights from the VAE.
	bad := filepath.Join(dir, "badunet")
	os.MkdirAll(bad, 0o755)
	cfg, _ := os.ReadFile(filepath.Join(tinyUNetDir, "config.json"))
	os.WriteFile(filepath.Join(bad, "config.json"), cfg, 0o644)
	vw, _ := os.ReadFile(filepath.Join(fixtures, "pipeline/vae/vae/diffusion_pytorch_model.safetensors"))
	os.WriteFile(filepath.Join(bad, "diffusion_pytorch_model.safetensors"), vw, 0o644)
	out := filepath.Join(dir, "out")
	_, err := Convert(bad, out, ConvertOptions{})
	if err == nil || !strings.Contains(err.Error(), "time_embedding.linear_1.weight") || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("want an error naming the missing key, got %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if _, err := Convert(filepath.Join(dir, "nothing"), out, ConvertOptions{}); err == nil {
		t.Error("converting a missing folder succeeded")
	}
}

// TestConvertUNetComponent converts a single UNet folder with a fixed size and fp16.
func TestConvertUNetComponent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "unet")
	res, err := Convert(tinyUNetDir, out, ConvertOptions{Options: Options{Float16: true, Float32IO: true}, ImageSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	s := openSession(t, res.Components[0].Model)
	if in := s.Inputs(); in[0].Name != UNetSample || in[0].Shape[2] != 32 || in[0].Shape[3] != 32 {
		t.Errorf("inputs %+v", in)
	}
	sample := testutil.ReadNPY(t, filepath.Join(tinyGolden, "sample.npy"))
	got, err := s.Run(map[string]*ort.Tensor{
		UNetSample:              f32Tensor(sample),
		UNetTimestep:            f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, "timestep.npy"))),
		UNetEncoderHiddenStates: f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, "encoder_hidden_states.npy"))),
	}, []string{UNetOutSample})
	if err != nil {
		t.Fatal(err)
	}
	want := testutil.ReadNPY(t, filepath.Join(tinyGolden, "out_unpatched.npy"))
	if d := maxAbsDiff(t, got[UNetOutSample].Float32s(), want.Float32s()); d > 2e-2 {
		t.Errorf("fp16 unet from disk: max abs diff %.3g > 2e-2", d)
	}
}
