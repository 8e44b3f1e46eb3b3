package diffusers

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const fixtures = "../../../shared/fixtures"

// TestUNetConfigs resolves the per-block values of real configs. Expected values: the
// tiny fixture's config.json (2 heads, unet/tiny-sd15 manifest); for SD 1.5/2.1/SDXL the
// module shapes diffusers builds from these configs (e.g. SD 2.1 attn1 of block 0 is 5
// heads × 64 = 320, SDXL has 2 and 10 transformer layers in its attention blocks).
func TestUNetConfigs(t *testing.T) {
	cases := []struct {
		path       string
		heads      []int
		headDims   []int
		cross      []int
		layers     []int
		tlayers    []int
		linear     bool
		sample     int
		timeEmbed  int
		addEmbed   string
		normGroups int
	}{
		{filepath.Join(fixtures, "unet/tiny-sd15/diffusers/unet/config.json"),
			[]int{2, 2, 2, 2}, []int{16, 32, 32, 32}, []int{32, 32, 32, 32}, []int{1, 1, 1, 1}, []int{1, 1, 1, 1}, false, 32, 128, "", 16},
		{"testdata/sd15_unet.json",
			[]int{8, 8, 8, 8}, []int{40, 80, 160, 160}, []int{768, 768, 768, 768}, []int{2, 2, 2, 2}, []int{1, 1, 1, 1}, false, 64, 1280, "", 32},
		{"testdata/sd21_unet.json",
			[]int{5, 10, 20, 20}, []int{64, 64, 64, 64}, []int{1024, 1024, 1024, 1024}, []int{2, 2, 2, 2}, []int{1, 1, 1, 1}, true, 96, 1280, "", 32},
		{"testdata/sdxl_unet.json",
			[]int{5, 10, 20}, []int{64, 64, 64}, []int{2048, 2048, 2048}, []int{2, 2, 2}, []int{1, 2, 10}, true, 128, 1280, "text_time", 32},
	}
	for _, c := range cases {
		cfg, err := ReadUNetConfig(c.path)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, got, want []int) {
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s = %v, want %v", c.path, what, got, want)
			}
		}
		check("HeadsPerBlock", cfg.HeadsPerBlock(), c.heads)
		check("HeadDimsPerBlock", cfg.HeadDimsPerBlock(), c.headDims)
		check("CrossAttentionDims", cfg.CrossAttentionDims(), c.cross)
		check("LayersPerDownBlock", cfg.LayersPerDownBlock(), c.layers)
		check("TransformerLayers", cfg.TransformerLayers(), c.tlayers)
		rev := slices.Clone(c.heads)
		slices.Reverse(rev)
		check("UpHeadsPerBlock", cfg.UpHeadsPerBlock(), rev)
		if cfg.UseLinearProjection != c.linear || cfg.SampleSize[0] != c.sample || cfg.TimeEmbedDim() != c.timeEmbed ||
			*cfg.NormNumGroups != c.normGroups {
			t.Errorf("%s: linear %v sample %v timeEmbed %d groups %d", c.path, cfg.UseLinearProjection, cfg.SampleSize, cfg.TimeEmbedDim(), *cfg.NormNumGroups)
		}
		add := ""
		if cfg.AdditionEmbedType != nil {
			add = *cfg.AdditionEmbedType
		}
		if add != c.addEmbed {
			t.Errorf("%s: addition_embed_type %q, want %q", c.path, add, c.addEmbed)
		}
		if cfg.MidBlockType == nil || *cfg.MidBlockType != "UNetMidBlock2DCrossAttn" {
			t.Errorf("%s: mid block %v", c.path, cfg.MidBlockType)
		}
	}
}

// TestUNetDefaults checks that keys absent from SD 1.5's old config take diffusers
// v0.19.3's defaults (the values written into the tiny fixture's config by 0.19.3).
func TestUNetDefaults(t *testing.T) {
	cfg, err := ReadUNetConfig("testdata/sd15_unet.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ResnetTimeScaleShift != "default" || cfg.TimeEmbeddingType != "positional" || cfg.ConvInKernel != 3 ||
		cfg.ConvOutKernel != 3 || cfg.UpcastAttention || cfg.UseLinearProjection || cfg.DualCrossAttention ||
		cfg.ClassEmbedType != nil || cfg.AdditionEmbedTypeNumHeads != 64 || cfg.ResnetOutScaleFactor != 1 ||
		!cfg.FlipSinToCos || cfg.FreqShift != 0 || slices.Contains(cfg.OnlyCrossAttentionPerBlock(), true) {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	// num_attention_heads overrides attention_head_dim when given.
	js := `{"attention_head_dim": 8, "num_attention_heads": [4, 8, 16, 16], "block_out_channels": [64, 128, 256, 256]}`
	cfg, err = ParseUNetConfig("inline", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.HeadsPerBlock(); !slices.Equal(got, []int{4, 8, 16, 16}) {
		t.Errorf("HeadsPerBlock with num_attention_heads = %v", got)
	}
	// Unknown keys are kept; "mid_block_type": null means no mid block.
	cfg, err = ParseUNetConfig("inline", []byte(`{"mid_block_type": null, "attention_type": "default"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MidBlockType != nil || string(cfg.Extra["attention_type"]) != `"default"` {
		t.Errorf("mid %v extra %v", cfg.MidBlockType, cfg.Extra)
	}
}

func TestBadConfigs(t *testing.T) {
	cases := []struct {
		name, js, want string
		parse          func(string, []byte) error
	}{
		{"unet up/down", `{"up_block_types": ["UpBlock2D"]}`, "4 down_block_types but 1 up_block_types", parseUNet},
		{"unet channels", `{"block_out_channels": [320, 640]}`, "2 block_out_channels for 4 down blocks", parseUNet},
		{"unet heads list", `{"attention_head_dim": [5, 10]}`, "attention_head_dim has 2 values", parseUNet},
		{"unet heads split", `{"attention_head_dim": 7}`, "do not split into 7 heads", parseUNet},
		{"unet heads null", `{"attention_head_dim": null}`, "attention_head_dim has 0 values", parseUNet},
		{"unet groups", `{"norm_num_groups": 48}`, "norm groups", parseUNet},
		{"unet type", `{"in_channels": "4"}`, `key "in_channels": want int, got "4"`, parseUNet},
		{"unet int list", `{"layers_per_block": "two"}`, `key "layers_per_block"`, parseUNet},
		{"unet class", `{"_class_name": "UNet3DConditionModel"}`, "class UNet3DConditionModel, want UNet2DConditionModel", parseUNet},
		{"unet time", `{"time_embedding_type": "learned"}`, "time_embedding_type", parseUNet},
		{"not object", `[1, 2]`, "not a JSON object", parseUNet},
		{"vae blocks", `{"block_out_channels": [64, 128]}`, "2 block_out_channels, 1 down_block_types", parseVAE},
		{"vae class", `{"_class_name": "VQModel"}`, "class VQModel", parseVAE},
		{"clip heads", `{"hidden_size": 30, "num_attention_heads": 4}`, "does not split into 4 heads", parseCLIP},
		{"clip type", `{"model_type": "t5"}`, `model_type "t5"`, parseCLIP},
	}
	for _, c := range cases {
		err := c.parse("cfg.json", []byte(c.js))
		var de *Error
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "cfg.json") {
			t.Errorf("%s: error %v, want *Error naming cfg.json with %q", c.name, err, c.want)
		}
	}
}

func parseUNet(n string, b []byte) error { _, err := ParseUNetConfig(n, b); return err }
func parseVAE(n string, b []byte) error  { _, err := ParseVAEConfig(n, b); return err }
func parseCLIP(n string, b []byte) error { _, err := ParseCLIPTextConfig(n, b); return err }

// TestVAEAndCLIPConfigs: expected values are those in the fixture configs
// (pipeline/vae, pipeline/text_encoder manifests) and the SD 2.1 / SDXL configs in testdata.
func TestVAEAndCLIPConfigs(t *testing.T) {
	v, err := ReadVAEConfig(filepath.Join(fixtures, "pipeline/vae/vae/config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.BlockOutChannels, []int{32, 64}) || v.LatentChannels != 4 || v.NormNumGroups != 16 ||
		v.ScalingFactor != 0.18215 || v.Downscale() != 2 || v.LayersPerBlock != 1 {
		t.Errorf("tiny VAE config %+v", v)
	}
	v, err = ReadVAEConfig("testdata/sdxl_vae.json")
	if err != nil {
		t.Fatal(err)
	}
	if v.ScalingFactor != 0.13025 || v.Downscale() != 8 || !v.ForceUpcast {
		t.Errorf("SDXL VAE config %+v", v)
	}
	if d, err := ParseVAEConfig("empty", []byte(`{}`)); err != nil || d.ScalingFactor != 0.18215 || d.NormNumGroups != 32 {
		t.Errorf("VAE defaults: %+v, %v", d, err)
	}
	c, err := ReadCLIPTextConfig(filepath.Join(fixtures, "pipeline/text_encoder/text_encoder/config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.HiddenSize != 32 || c.IntermediateSize != 64 || c.NumHiddenLayers != 2 || c.NumAttentionHeads != 4 ||
		c.HeadDim() != 8 || c.HiddenAct != "quick_gelu" || c.EosTokenID != 2 || c.PadTokenID != 1 || c.ProjectionDim != 32 {
		t.Errorf("tiny CLIP config %+v", c)
	}
	c, err = ReadCLIPTextConfig("testdata/sd21_text_encoder.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.HiddenSize != 1024 || c.NumHiddenLayers != 23 || c.HiddenAct != "gelu" || c.HeadDim() != 64 {
		t.Errorf("SD 2.1 CLIP config %+v", c)
	}
	// A full CLIPConfig is read through its text_config; absent keys take defaults.
	c, err = ParseCLIPTextConfig("clip", []byte(`{"model_type": "clip", "text_config": {"hidden_size": 768, "num_attention_heads": 12}}`))
	if err != nil || c.HiddenSize != 768 || c.NumHiddenLayers != 12 || c.IntermediateSize != 2048 {
		t.Errorf("CLIPConfig text_config: %+v, %v", c, err)
	}
	if _, err := ReadCLIPTextConfig("testdata/none.json"); err == nil || !strings.Contains(err.Error(), "testdata/none.json: missing config file") {
		t.Errorf("missing config: %v", err)
	}
}
