package diffusers

import (
	"encoding/json"
	"fmt"
)

// CLIPTextConfig is the config.json of a transformers CLIPTextModel (or
// CLIPTextModelWithProjection, SDXL's second encoder). Absent keys take the defaults of
// transformers v4.26.1's CLIPTextConfig (see DefaultCLIPTextConfig).
type CLIPTextConfig struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	TorchDtype            string   `json:"torch_dtype"`
	TransformersVersion   string   `json:"transformers_version"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	ProjectionDim         int      `json:"projection_dim"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	HiddenAct             string   `json:"hidden_act"` // "quick_gelu" (SD 1.x) or "gelu" (SD 2.x)
	LayerNormEps          float64  `json:"layer_norm_eps"`
	AttentionDropout      float64  `json:"attention_dropout"`
	Dropout               float64  `json:"dropout"`
	InitializerRange      float64  `json:"initializer_range"`
	InitializerFactor     float64  `json:"initializer_factor"`
	PadTokenID            int      `json:"pad_token_id"`
	BosTokenID            int      `json:"bos_token_id"`
	EosTokenID            int      `json:"eos_token_id"`

	// Extra holds keys this struct does not know, as found.
	Extra map[string]json.RawMessage `json:"-"`
}

// DefaultCLIPTextConfig returns CLIPTextConfig's defaults in transformers v4.26.1 (the
// 512-wide, 12-layer text tower of CLIP ViT-B/32).
func DefaultCLIPTextConfig() CLIPTextConfig {
	return CLIPTextConfig{
		VocabSize:             49408,
		HiddenSize:            512,
		IntermediateSize:      2048,
		ProjectionDim:         512,
		NumHiddenLayers:       12,
		NumAttentionHeads:     8,
		MaxPositionEmbeddings: 77,
		HiddenAct:             "quick_gelu",
		LayerNormEps:          1e-5,
		InitializerRange:      0.02,
		InitializerFactor:     1,
		PadTokenID:            1,
		BosTokenID:            0,
		EosTokenID:            2,
	}
}

// ParseCLIPTextConfig decodes and validates a text-encoder config.json; name is used in
// errors. A full CLIPConfig (model_type "clip") is accepted through its text_config.
func ParseCLIPTextConfig(name string, data []byte) (*CLIPTextConfig, error) {
	var outer struct {
		ModelType  string          `json:"model_type"`
		TextConfig json.RawMessage `json:"text_config"`
	}
	if err := json.Unmarshal(data, &outer); err == nil && outer.ModelType == "clip" && len(outer.TextConfig) > 0 {
		data = outer.TextConfig
	}
	c := DefaultCLIPTextConfig()
	extra, err := decodeConfig(name, data, &c)
	if err != nil {
		return nil, err
	}
	c.Extra = extra
	if c.ModelType != "" && c.ModelType != "clip_text_model" && c.ModelType != "clip" {
		return nil, &Error{Path: name, Msg: fmt.Sprintf("model_type %q, want clip_text_model", c.ModelType)}
	}
	if err := c.Validate(); err != nil {
		return nil, &Error{Path: name, Msg: err.Error()}
	}
	return &c, nil
}

// ReadCLIPTextConfig reads and validates the text-encoder config.json at path.
func ReadCLIPTextConfig(path string) (*CLIPTextConfig, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCLIPTextConfig(path, data)
}

// HeadDim returns hidden_size / num_attention_heads.
func (c *CLIPTextConfig) HeadDim() int { return c.HiddenSize / c.NumAttentionHeads }

// Validate checks sizes CLIPTextModel would refuse.
func (c *CLIPTextConfig) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.HiddenSize <= 0 || c.IntermediateSize <= 0 || c.NumHiddenLayers <= 0 || c.MaxPositionEmbeddings <= 0:
		return fmt.Errorf("sizes must be positive (vocab %d, hidden %d, intermediate %d, layers %d, positions %d)",
			c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.MaxPositionEmbeddings)
	case c.NumAttentionHeads <= 0 || c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("hidden_size %d does not split into %d heads", c.HiddenSize, c.NumAttentionHeads)
	}
	return nil
}
