package clipscore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigLayouts: config.json and openai's hub layout with text_config_dict /
// vision_config_dict (config_variants/config.hub_layout.json) load to the same values,
// those of manifest model.text_config_args / vision_config_args.
func TestConfigLayouts(t *testing.T) {
	needFixtures(t)
	var got []*Config
	for _, f := range []string{"tiny_clip/config.json", "config_variants/config.hub_layout.json"} {
		c, err := ReadConfig(filepath.Join(fixtures, f))
		if err != nil {
			t.Fatal(err)
		}
		c.Text.Extra = nil
		got = append(got, c)
	}
	a, b := got[0], got[1]
	if b.Vision.ModelType != "" { // the dict has no model_type; everything else must agree
		t.Errorf("hub layout vision model_type %q", b.Vision.ModelType)
	}
	b.Vision.ModelType = a.Vision.ModelType
	if a.Vision != b.Vision || a.ProjectionDim != b.ProjectionDim || a.Text.HiddenSize != b.Text.HiddenSize ||
		a.Text.IntermediateSize != b.Text.IntermediateSize || a.Text.NumHiddenLayers != b.Text.NumHiddenLayers ||
		a.Text.NumAttentionHeads != b.Text.NumAttentionHeads || a.Text.MaxPositionEmbeddings != b.Text.MaxPositionEmbeddings ||
		a.Text.VocabSize != b.Text.VocabSize || a.Text.HiddenAct != b.Text.HiddenAct || a.Text.LayerNormEps != b.Text.LayerNormEps {
		t.Errorf("layouts differ:\n%+v\n%+v", *a, *b)
	}
	want := VisionConfig{HiddenSize: 32, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4, NumChannels: 3,
		ImageSize: 224, PatchSize: 14, HiddenAct: "quick_gelu", LayerNormEps: 1e-5, ModelType: "clip_vision_model"}
	if a.Vision != want || a.ProjectionDim != 24 || a.Text.HiddenSize != 32 || a.Text.IntermediateSize != 64 {
		t.Errorf("config %+v, want vision %+v, projection 24, text 32/64", *a, want)
	}
	// A *_config_dict replaces the whole sub-config (transformers 4.26.1): keys it
	// lacks take CLIPVisionConfig's defaults, not text_config/vision_config's values.
	c, err := ParseConfig("x", []byte(`{"model_type":"clip","vision_config":{"patch_size":14,"hidden_size":64,"num_attention_heads":4},"vision_config_dict":{"hidden_size":64,"num_attention_heads":4}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Vision.PatchSize != 32 || c.Vision.HiddenSize != 64 {
		t.Errorf("vision_config_dict did not replace vision_config: %+v", c.Vision)
	}
}

// TestOpenErrors: each broken folder gives one error naming the file at fault. The
// folders are copies of the fixture's tiny_clip with one thing changed. (Copies, never
// symlinks: an edit through a link would write into the shared fixture.)
func TestOpenErrors(t *testing.T) {
	needFixtures(t)
	needORT(t)
	abs, err := filepath.Abs(tinyCLIP)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"config.json", "preprocessor_config.json", "model.safetensors", "vocab.json", "merges.txt",
		"special_tokens_map.json", "tokenizer_config.json"}
	st, err := os.ReadFile(filepath.Join(abs, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(dir string) error
		wants []string // substrings of the error
	}{
		{"not a CLIPModel (a text encoder's config)", func(d string) error {
			return os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"architectures":["CLIPTextModel"],"model_type":"clip_text_model","hidden_size":32}`), 0o644)
		}, []string{"config.json", "not a transformers CLIPModel"}},
		{"no config", func(d string) error { return os.Remove(filepath.Join(d, "config.json")) }, []string{"config.json"}},
		{"truncated weights", func(d string) error {
			return os.WriteFile(filepath.Join(d, "model.safetensors"), st[:len(st)/2], 0o644)
		}, []string{"model.safetensors"}},
		{"no weights", func(d string) error { return os.Remove(filepath.Join(d, "model.safetensors")) },
			[]string{"model.safetensors", "pytorch_model.bin"}},
		{"weights of another model (an SD text encoder's)", func(d string) error {
			src := filepath.Join(abs, "..", "..", "pipeline", "tiny_pipeline", "text_encoder", "model.safetensors")
			return copyFile(src, filepath.Join(d, "model.safetensors"))
		}, []string{"model.safetensors", "vision_model."}},
		{"missing tokenizer", func(d string) error { return os.Remove(filepath.Join(d, "vocab.json")) }, []string{"vocab.json"}},
		{"missing merges", func(d string) error { return os.Remove(filepath.Join(d, "merges.txt")) }, []string{"merges.txt"}},
		{"bad preprocessor", func(d string) error {
			return os.WriteFile(filepath.Join(d, "preprocessor_config.json"), []byte(`{"resample": 2}`), 0o644)
		}, []string{"preprocessor_config.json", "resample 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range files {
				if err := copyFile(filepath.Join(abs, f), filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.edit(dir); err != nil {
				t.Skipf("cannot make the broken folder (fixture missing?): %v", err)
			}
			m, err := Open(dir, Options{Session: threads1})
			if err == nil {
				m.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			t.Logf("%v", err)
		})
	}
}

// copyFile writes a fresh copy of src at dst (replacing dst, never writing through it).
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	os.Remove(dst)
	return os.WriteFile(dst, b, 0o644)
}
