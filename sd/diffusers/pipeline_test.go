package diffusers

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var tinyPipeline = filepath.Join(fixtures, "pipeline/tiny_pipeline")

// TestTinyPipeline opens the fixture pipeline folder. Expected values: its
// model_index.json and component configs, and the tensor counts of the pipeline/vae,
// pipeline/text_encoder and unet/tiny-sd15 manifests (124, 37, 440 tensors).
func TestTinyPipeline(t *testing.T) {
	p, err := OpenPipeline(tinyPipeline, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mi := p.Index
	if mi.ClassName != "StableDiffusionPipeline" || mi.DiffusersVersion != "0.19.3" {
		t.Errorf("class %q version %q", mi.ClassName, mi.DiffusersVersion)
	}
	if got := mi.ComponentNames(); !slices.Equal(got, []string{"scheduler", "text_encoder", "tokenizer", "unet", "vae"}) {
		t.Errorf("components %v", got)
	}
	if !slices.Equal(mi.Absent, []string{"feature_extractor", "safety_checker"}) || string(mi.Extra["requires_safety_checker"]) != "false" {
		t.Errorf("absent %v extra %v", mi.Absent, mi.Extra)
	}
	if r := mi.Components["text_encoder"]; r.Library != "transformers" || r.Class != "CLIPTextModel" {
		t.Errorf("text_encoder ref %+v", r)
	}

	u, err := p.UNet()
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.Weights.Len() != 440 || !slices.Equal(u.Config.HeadsPerBlock(), []int{2, 2, 2, 2}) {
		t.Errorf("unet: %d tensors, heads %v", u.Weights.Len(), u.Config.HeadsPerBlock())
	}
	// First value of conv_in.bias, read with Python's struct from the fixture file.
	if v, shape, err := u.Weights.Float32("conv_in.bias"); err != nil || v[0] != -0.14009445905685425 || shape[0] != 32 {
		t.Errorf("conv_in.bias: %v %v %v", v[:1], shape, err)
	}
	vae, err := p.VAE()
	if err != nil {
		t.Fatal(err)
	}
	defer vae.Close()
	if vae.Weights.Len() != 124 || vae.Config.ScalingFactor != 0.18215 {
		t.Errorf("vae: %d tensors, scaling %v", vae.Weights.Len(), vae.Config.ScalingFactor)
	}
	te, err := p.TextEncoder("text_encoder")
	if err != nil {
		t.Fatal(err)
	}
	defer te.Close()
	if te.Weights.Len() != 37 || te.Config.HiddenSize != 32 || !strings.HasSuffix(te.Weights.Files()[0], "model.safetensors") {
		t.Errorf("text encoder: %d tensors, hidden %d, files %v", te.Weights.Len(), te.Config.HiddenSize, te.Weights.Files())
	}
	if d, err := p.TokenizerDir("tokenizer"); err != nil || d != filepath.Join(tinyPipeline, "tokenizer") {
		t.Errorf("tokenizer: %q %v", d, err)
	}
	if path, class, err := p.SchedulerConfig(); err != nil || class != "PNDMScheduler" || filepath.Base(path) != "scheduler_config.json" {
		t.Errorf("scheduler: %q %q %v", path, class, err)
	}
	// Asking for what the pipeline does not have, or as the wrong class.
	if _, err := p.TextEncoder("text_encoder_2"); err == nil || !strings.Contains(err.Error(), `no component "text_encoder_2"`) {
		t.Errorf("text_encoder_2: %v", err)
	}
	if _, err := p.Component("vae", "UNet2DConditionModel"); err == nil || !strings.Contains(err.Error(), "is diffusers AutoencoderKL") {
		t.Errorf("vae as UNet: %v", err)
	}
	// The fixture has no fp16 files: the variant must be refused, naming the folder.
	p16, err := OpenPipeline(tinyPipeline, Options{Variant: "fp16"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p16.UNet(); err == nil || !strings.Contains(err.Error(), filepath.Join(tinyPipeline, "unet")) {
		t.Errorf("fp16 UNet of fixture: %v", err)
	}
}

// TestBrokenPipelines builds pipeline folders with one part missing or wrong; each must
// give one *Error naming the path at fault.
func TestBrokenPipelines(t *testing.T) {
	root := t.TempDir()
	index, err := os.ReadFile(filepath.Join(tinyPipeline, "model_index.json"))
	if err != nil {
		t.Fatal(err)
	}
	// mk makes a pipeline folder whose components link to the fixture's, minus skip.
	mk := func(name, modelIndex string, skip ...string) *Pipeline {
		t.Helper()
		d := filepath.Join(root, name)
		os.MkdirAll(d, 0o755)
		for _, c := range []string{"unet", "vae", "text_encoder", "tokenizer", "scheduler"} {
			if !slices.Contains(skip, c) {
				abs, _ := filepath.Abs(filepath.Join(tinyPipeline, c))
				if err := os.Symlink(abs, filepath.Join(d, c)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if modelIndex != "" {
			os.WriteFile(filepath.Join(d, "model_index.json"), []byte(modelIndex), 0o644)
		}
		p, err := OpenPipeline(d, Options{})
		if err != nil {
			t.Logf("%s: %v", name, err)
			return nil
		}
		return p
	}
	var de *Error
	if p := mk("noindex", ""); p != nil {
		t.Error("folder without model_index.json opened")
	} else if _, err := OpenPipeline(filepath.Join(root, "noindex"), Options{}); !errors.As(err, &de) || !strings.Contains(err.Error(), "no model_index.json") {
		t.Errorf("noindex: %v", err)
	}
	mk("novae", string(index), "vae")
	if _, err := OpenPipeline(filepath.Join(root, "novae"), Options{}); !errors.As(err, &de) ||
		!strings.Contains(err.Error(), filepath.Join(root, "novae", "vae")+": component folder missing (model_index.json lists diffusers AutoencoderKL)") {
		t.Errorf("novae: %v", err)
	}
	odd := strings.Replace(string(index), `"UNet2DConditionModel"`, `"UNet3DConditionModel"`, 1)
	if p := mk("unet3d", odd); p == nil {
		t.Fatal("unet3d did not open")
	} else if _, err := p.UNet(); !errors.As(err, &de) || !strings.Contains(err.Error(), "is diffusers UNet3DConditionModel; supported: UNet2DConditionModel") {
		t.Errorf("unet3d: %v", err)
	}
	if _, err := ParseModelIndex("mi.json", []byte(`{"_class_name": "X", "unet": ["diffusers"]}`)); err == nil || !strings.Contains(err.Error(), `mi.json: component "unet"`) {
		t.Errorf("bad entry: %v", err)
	}
	if _, err := ParseModelIndex("mi.json", []byte(`{"unet": ["diffusers", "UNet2DConditionModel"]}`)); err == nil || !strings.Contains(err.Error(), "no _class_name") {
		t.Errorf("no class: %v", err)
	}
	// A component folder without config.json.
	d := filepath.Join(root, "noconfig")
	os.MkdirAll(d, 0o755)
	if _, err := LoadUNet(d, Options{}); !errors.As(err, &de) || !strings.Contains(err.Error(), filepath.Join(d, "config.json")+": missing config file") {
		t.Errorf("noconfig: %v", err)
	}
}
