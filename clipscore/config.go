package clipscore

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// A Config is a transformers CLIPModel's config.json: the two towers and the size of
// the shared embedding space.
type Config struct {
	Text          diffusers.CLIPTextConfig
	Vision        VisionConfig
	ProjectionDim int // the top-level projection_dim (CLIPModel uses this one)
}

// VisionConfig is transformers' CLIPVisionConfig. Absent keys take the defaults of
// v4.26.1 (DefaultVisionConfig).
type VisionConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	NumChannels       int     `json:"num_channels"`
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
	ModelType         string  `json:"model_type"`
}

// DefaultVisionConfig returns CLIPVisionConfig's defaults in transformers v4.26.1 (the
// vision tower of ViT-B/32).
func DefaultVisionConfig() VisionConfig {
	return VisionConfig{HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
		NumChannels: 3, ImageSize: 224, PatchSize: 32, HiddenAct: "quick_gelu", LayerNormEps: 1e-5}
}

// Patches returns the number of patches per side, (image_size / patch_size).
func (v *VisionConfig) Patches() int { return v.ImageSize / v.PatchSize }

func (v *VisionConfig) validate() error {
	switch {
	case v.HiddenSize <= 0 || v.IntermediateSize <= 0 || v.NumHiddenLayers <= 0 || v.PatchSize <= 0 || v.ImageSize <= 0:
		return fmt.Errorf("vision sizes must be positive (hidden %d, intermediate %d, layers %d, image %d, patch %d)",
			v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.ImageSize, v.PatchSize)
	case v.NumAttentionHeads <= 0 || v.HiddenSize%v.NumAttentionHeads != 0:
		return fmt.Errorf("vision hidden_size %d does not split into %d heads", v.HiddenSize, v.NumAttentionHeads)
	case v.NumChannels != 3:
		return fmt.Errorf("vision num_channels %d: only RGB (3) is supported", v.NumChannels)
	case v.HiddenAct != "quick_gelu" && v.HiddenAct != "gelu":
		return fmt.Errorf("vision hidden_act %q is not supported (quick_gelu or gelu)", v.HiddenAct)
	}
	return nil
}

// A ConfigError reports a config file that is missing, malformed, or not a CLIPModel's.
type ConfigError struct {
	File string
	Msg  string
}

func (e *ConfigError) Error() string { return "clipscore: " + e.File + ": " + e.Msg }

// ReadConfig reads a CLIPModel config.json.
func ReadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: "cannot read the model config (a CLIPModel folder has config.json): " + err.Error()}
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes a CLIPModel config.json; name is used in errors. As in
// transformers v4.26.1, a text_config_dict or vision_config_dict (openai's hub files carry
// both) replaces the whole text_config or vision_config, and absent keys take the
// defaults of CLIPTextConfig / CLIPVisionConfig.
func ParseConfig(name string, data []byte) (*Config, error) {
	var top struct {
		ModelType        string          `json:"model_type"`
		Architectures    []string        `json:"architectures"`
		ProjectionDim    *int            `json:"projection_dim"`
		TextConfig       json.RawMessage `json:"text_config"`
		VisionConfig     json.RawMessage `json:"vision_config"`
		TextConfigDict   json.RawMessage `json:"text_config_dict"`
		VisionConfigDict json.RawMessage `json:"vision_config_dict"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &ConfigError{File: name, Msg: "not valid JSON: " + err.Error()}
	}
	if top.ModelType != "clip" {
		what := fmt.Sprintf("model_type %q", top.ModelType)
		if top.ModelType == "" {
			what = "no model_type"
		}
		return nil, &ConfigError{File: name, Msg: what + ": not a transformers CLIPModel (want model_type \"clip\" with text_config and vision_config)"}
	}
	if len(top.Architectures) > 0 && !slices.Contains(top.Architectures, "CLIPModel") {
		return nil, &ConfigError{File: name, Msg: fmt.Sprintf("architectures %v: not a CLIPModel", top.Architectures)}
	}
	text, vision := top.TextConfig, top.VisionConfig
	if isObject(top.TextConfigDict) {
		text = top.TextConfigDict
	}
	if isObject(top.VisionConfigDict) {
		vision = top.VisionConfigDict
	}
	if !isObject(text) {
		text = []byte("{}")
	}
	if !isObject(vision) {
		vision = []byte("{}")
	}
	c := &Config{ProjectionDim: 512}
	if top.ProjectionDim != nil {
		c.ProjectionDim = *top.ProjectionDim
	}
	tc, err := diffusers.ParseCLIPTextConfig(name+" (text_config)", text)
	if err != nil {
		return nil, err
	}
	c.Text = *tc
	c.Vision = DefaultVisionConfig()
	if err := json.Unmarshal(vision, &c.Vision); err != nil {
		return nil, &ConfigError{File: name, Msg: "vision_config: " + err.Error()}
	}
	if c.Vision.ModelType != "" && c.Vision.ModelType != "clip_vision_model" {
		return nil, &ConfigError{File: name, Msg: fmt.Sprintf("vision_config model_type %q, want clip_vision_model", c.Vision.ModelType)}
	}
	if err := c.Vision.validate(); err != nil {
		return nil, &ConfigError{File: name, Msg: err.Error()}
	}
	if c.ProjectionDim <= 0 {
		return nil, &ConfigError{File: name, Msg: fmt.Sprintf("projection_dim %d must be positive", c.ProjectionDim)}
	}
	return c, nil
}

func isObject(raw json.RawMessage) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}
