package diffusers

import (
	"encoding/json"
	"fmt"
	"slices"
)

// UNetConfig is the config.json of a diffusers UNet2DConditionModel (v0.19.3 keys, which
// cover SD 1.x, 2.x and SDXL). Keys absent from the file take diffusers' defaults (see
// DefaultUNetConfig); pointer fields are nil when the key is null ("None"). Values that may
// be one per down block are IntList/BoolList; expand them with the methods below.
type UNetConfig struct {
	ClassName        string `json:"_class_name"`
	DiffusersVersion string `json:"_diffusers_version"`

	SampleSize        IntList `json:"sample_size"` // latent size: one value, or [h, w]
	InChannels        int     `json:"in_channels"`
	OutChannels       int     `json:"out_channels"`
	CenterInputSample bool    `json:"center_input_sample"`
	FlipSinToCos      bool    `json:"flip_sin_to_cos"`
	FreqShift         int     `json:"freq_shift"`

	DownBlockTypes []string `json:"down_block_types"`
	MidBlockType   *string  `json:"mid_block_type"` // nil: no mid block
	UpBlockTypes   []string `json:"up_block_types"`

	OnlyCrossAttention        BoolList `json:"only_cross_attention"`
	BlockOutChannels          []int    `json:"block_out_channels"`
	LayersPerBlock            IntList  `json:"layers_per_block"`
	DownsamplePadding         int      `json:"downsample_padding"`
	MidBlockScaleFactor       float64  `json:"mid_block_scale_factor"`
	ActFn                     string   `json:"act_fn"`
	NormNumGroups             *int     `json:"norm_num_groups"` // nil: no conv_norm_out
	NormEps                   float64  `json:"norm_eps"`
	CrossAttentionDim         IntList  `json:"cross_attention_dim"`
	TransformerLayersPerBlock IntList  `json:"transformer_layers_per_block"`
	EncoderHidDim             *int     `json:"encoder_hid_dim"`
	EncoderHidDimType         *string  `json:"encoder_hid_dim_type"`

	// AttentionHeadDim is, despite its name, the number of heads when NumAttentionHeads
	// is empty (diffusers issue #2011). Use HeadsPerBlock.
	AttentionHeadDim    IntList `json:"attention_head_dim"`
	NumAttentionHeads   IntList `json:"num_attention_heads"`
	DualCrossAttention  bool    `json:"dual_cross_attention"`
	UseLinearProjection bool    `json:"use_linear_projection"`
	UpcastAttention     bool    `json:"upcast_attention"`
	CrossAttentionNorm  *string `json:"cross_attention_norm"`

	ClassEmbedType                    *string `json:"class_embed_type"`
	NumClassEmbeds                    *int    `json:"num_class_embeds"`
	ClassEmbeddingsConcat             bool    `json:"class_embeddings_concat"`
	AdditionEmbedType                 *string `json:"addition_embed_type"` // SDXL: "text_time"
	AdditionTimeEmbedDim              *int    `json:"addition_time_embed_dim"`
	AdditionEmbedTypeNumHeads         int     `json:"addition_embed_type_num_heads"`
	ProjectionClassEmbeddingsInputDim *int    `json:"projection_class_embeddings_input_dim"`

	ResnetTimeScaleShift string  `json:"resnet_time_scale_shift"`
	ResnetSkipTimeAct    bool    `json:"resnet_skip_time_act"`
	ResnetOutScaleFactor float64 `json:"resnet_out_scale_factor"`

	TimeEmbeddingType  string  `json:"time_embedding_type"` // "positional" or "fourier"
	TimeEmbeddingDim   *int    `json:"time_embedding_dim"`
	TimeEmbeddingActFn *string `json:"time_embedding_act_fn"`
	TimestepPostAct    *string `json:"timestep_post_act"`
	TimeCondProjDim    *int    `json:"time_cond_proj_dim"`
	ConvInKernel       int     `json:"conv_in_kernel"`
	ConvOutKernel      int     `json:"conv_out_kernel"`

	MidBlockOnlyCrossAttention *bool `json:"mid_block_only_cross_attention"`

	// Extra holds keys this struct does not know, as found.
	Extra map[string]json.RawMessage `json:"-"`
}

// DefaultUNetConfig returns the defaults of UNet2DConditionModel.__init__ in diffusers
// v0.19.3 (the SD 1.x layout with 1280-wide cross-attention and 8 heads).
func DefaultUNetConfig() UNetConfig {
	return UNetConfig{
		InChannels:   4,
		OutChannels:  4,
		FlipSinToCos: true,
		DownBlockTypes: []string{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
			"CrossAttnDownBlock2D", "DownBlock2D"},
		MidBlockType: ptr("UNetMidBlock2DCrossAttn"),
		UpBlockTypes: []string{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
			"CrossAttnUpBlock2D"},
		OnlyCrossAttention:        BoolList{false},
		BlockOutChannels:          []int{320, 640, 1280, 1280},
		LayersPerBlock:            IntList{2},
		DownsamplePadding:         1,
		MidBlockScaleFactor:       1,
		ActFn:                     "silu",
		NormNumGroups:             ptr(32),
		NormEps:                   1e-5,
		CrossAttentionDim:         IntList{1280},
		TransformerLayersPerBlock: IntList{1},
		AttentionHeadDim:          IntList{8},
		AdditionEmbedTypeNumHeads: 64,
		ResnetTimeScaleShift:      "default",
		ResnetOutScaleFactor:      1,
		TimeEmbeddingType:         "positional",
		ConvInKernel:              3,
		ConvOutKernel:             3,
	}
}

// ParseUNetConfig decodes and validates a UNet config.json; name is used in errors.
func ParseUNetConfig(name string, data []byte) (*UNetConfig, error) {
	c := DefaultUNetConfig()
	extra, err := decodeConfig(name, data, &c)
	if err != nil {
		return nil, err
	}
	c.Extra = extra
	if err := checkClass(name, c.ClassName, "UNet2DConditionModel"); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &Error{Path: name, Msg: err.Error()}
	}
	return &c, nil
}

// ReadUNetConfig reads and validates the UNet config.json at path.
func ReadUNetConfig(path string) (*UNetConfig, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	return ParseUNetConfig(path, data)
}

// NumBlocks returns the number of down blocks (= up blocks).
func (c *UNetConfig) NumBlocks() int { return len(c.DownBlockTypes) }

// HeadsPerBlock returns the number of attention heads of each down block: num_attention_heads
// when set, else attention_head_dim (diffusers' `num_attention_heads or attention_head_dim`).
// The mid block uses the last value; up block i uses HeadsPerBlock()[NumBlocks()-1-i].
func (c *UNetConfig) HeadsPerBlock() []int {
	src := c.NumAttentionHeads
	if len(src) == 0 {
		src = c.AttentionHeadDim
	}
	h, _ := src.Per(c.NumBlocks())
	return h
}

// HeadDimsPerBlock returns the channels per head of each down block's attention:
// block_out_channels[i] / HeadsPerBlock()[i].
func (c *UNetConfig) HeadDimsPerBlock() []int {
	heads := c.HeadsPerBlock()
	out := make([]int, len(heads))
	for i, h := range heads {
		out[i] = c.BlockOutChannels[i] / h
	}
	return out
}

// UpHeadsPerBlock returns HeadsPerBlock in up-block order (reversed).
func (c *UNetConfig) UpHeadsPerBlock() []int {
	h := c.HeadsPerBlock()
	slices.Reverse(h)
	return h
}

// LayersPerDownBlock returns layers_per_block expanded per down block (up blocks have one
// more resnet each).
func (c *UNetConfig) LayersPerDownBlock() []int {
	v, _ := c.LayersPerBlock.Per(c.NumBlocks())
	return v
}

// CrossAttentionDims returns cross_attention_dim expanded per down block.
func (c *UNetConfig) CrossAttentionDims() []int {
	v, _ := c.CrossAttentionDim.Per(c.NumBlocks())
	return v
}

// TransformerLayers returns transformer_layers_per_block expanded per down block.
func (c *UNetConfig) TransformerLayers() []int {
	v, _ := c.TransformerLayersPerBlock.Per(c.NumBlocks())
	return v
}

// OnlyCrossAttentionPerBlock returns only_cross_attention expanded per down block.
func (c *UNetConfig) OnlyCrossAttentionPerBlock() []bool {
	v, _ := c.OnlyCrossAttention.Per(c.NumBlocks())
	return v
}

// TimeEmbedDim returns the width of the time embedding: time_embedding_dim when set,
// else 4×block_out_channels[0] (positional) or 2×block_out_channels[0] (fourier).
func (c *UNetConfig) TimeEmbedDim() int {
	if c.TimeEmbeddingDim != nil {
		return *c.TimeEmbeddingDim
	}
	if c.TimeEmbeddingType == "fourier" {
		return 2 * c.BlockOutChannels[0]
	}
	return 4 * c.BlockOutChannels[0]
}

// Validate checks what UNet2DConditionModel.__init__ would refuse (block counts, list
// lengths, heads dividing channels, group norm dividing channels).
func (c *UNetConfig) Validate() error {
	n := c.NumBlocks()
	switch {
	case n == 0:
		return fmt.Errorf("down_block_types is empty")
	case len(c.UpBlockTypes) != n:
		return fmt.Errorf("%d down_block_types but %d up_block_types", n, len(c.UpBlockTypes))
	case len(c.BlockOutChannels) != n:
		return fmt.Errorf("%d block_out_channels for %d down blocks", len(c.BlockOutChannels), n)
	case c.TimeEmbeddingType != "positional" && c.TimeEmbeddingType != "fourier":
		return fmt.Errorf("time_embedding_type %q (want positional or fourier)", c.TimeEmbeddingType)
	case c.InChannels <= 0 || c.OutChannels <= 0:
		return fmt.Errorf("in_channels %d, out_channels %d", c.InChannels, c.OutChannels)
	}
	lists := []struct {
		key string
		l   IntList
	}{{"layers_per_block", c.LayersPerBlock}, {"cross_attention_dim", c.CrossAttentionDim},
		{"transformer_layers_per_block", c.TransformerLayersPerBlock}, {"attention_head_dim", c.AttentionHeadDim}}
	if len(c.NumAttentionHeads) > 0 {
		lists = append(lists, struct {
			key string
			l   IntList
		}{"num_attention_heads", c.NumAttentionHeads})
	}
	for _, l := range lists {
		if _, ok := l.l.Per(n); !ok {
			return fmt.Errorf("%s has %d values for %d down blocks", l.key, len(l.l), n)
		}
	}
	if _, ok := c.OnlyCrossAttention.Per(n); !ok {
		return fmt.Errorf("only_cross_attention has %d values for %d down blocks", len(c.OnlyCrossAttention), n)
	}
	heads := c.HeadsPerBlock()
	for i, ch := range c.BlockOutChannels {
		if ch <= 0 {
			return fmt.Errorf("block_out_channels[%d] = %d", i, ch)
		}
		if heads[i] <= 0 || ch%heads[i] != 0 {
			return fmt.Errorf("block %d: %d channels do not split into %d heads", i, ch, heads[i])
		}
		if g := c.NormNumGroups; g != nil && (*g <= 0 || ch%*g != 0) {
			return fmt.Errorf("block %d: %d channels do not split into %d norm groups", i, ch, *g)
		}
	}
	return nil
}
