package diffusers

import (
	"encoding/json"
	"fmt"
)

// VAEConfig is the config.json of a diffusers AutoencoderKL. Absent keys take the
// defaults of diffusers v0.19.3 (see DefaultVAEConfig).
type VAEConfig struct {
	ClassName        string `json:"_class_name"`
	DiffusersVersion string `json:"_diffusers_version"`

	InChannels       int      `json:"in_channels"`
	OutChannels      int      `json:"out_channels"`
	DownBlockTypes   []string `json:"down_block_types"`
	UpBlockTypes     []string `json:"up_block_types"`
	BlockOutChannels []int    `json:"block_out_channels"`
	LayersPerBlock   int      `json:"layers_per_block"`
	ActFn            string   `json:"act_fn"`
	LatentChannels   int      `json:"latent_channels"`
	NormNumGroups    int      `json:"norm_num_groups"`
	SampleSize       IntList  `json:"sample_size"`
	// ScalingFactor multiplies latents before the UNet (1/ScalingFactor before decoding):
	// 0.18215 for SD 1.x/2.x, 0.13025 for SDXL.
	ScalingFactor float64  `json:"scaling_factor"`
	ShiftFactor   *float64 `json:"shift_factor"`
	ForceUpcast   bool     `json:"force_upcast"`

	// Extra holds keys this struct does not know, as found.
	Extra map[string]json.RawMessage `json:"-"`
}

// DefaultVAEConfig returns AutoencoderKL.__init__'s defaults in diffusers v0.19.3.
func DefaultVAEConfig() VAEConfig {
	return VAEConfig{
		InChannels:       3,
		OutChannels:      3,
		DownBlockTypes:   []string{"DownEncoderBlock2D"},
		UpBlockTypes:     []string{"UpDecoderBlock2D"},
		BlockOutChannels: []int{64},
		LayersPerBlock:   1,
		ActFn:            "silu",
		LatentChannels:   4,
		NormNumGroups:    32,
		SampleSize:       IntList{32},
		ScalingFactor:    0.18215,
		ForceUpcast:      true,
	}
}

// ParseVAEConfig decodes and validates an AutoencoderKL config.json; name is used in errors.
func ParseVAEConfig(name string, data []byte) (*VAEConfig, error) {
	c := DefaultVAEConfig()
	extra, err := decodeConfig(name, data, &c)
	if err != nil {
		return nil, err
	}
	c.Extra = extra
	if err := checkClass(name, c.ClassName, "AutoencoderKL"); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &Error{Path: name, Msg: err.Error()}
	}
	return &c, nil
}

// ReadVAEConfig reads and validates the AutoencoderKL config.json at path.
func ReadVAEConfig(path string) (*VAEConfig, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	return ParseVAEConfig(path, data)
}

// Downscale returns the ratio of image size to latent size: 2^(blocks−1) (8 for SD).
func (c *VAEConfig) Downscale() int { return 1 << (len(c.BlockOutChannels) - 1) }

// Validate checks what AutoencoderKL would refuse.
func (c *VAEConfig) Validate() error {
	n := len(c.BlockOutChannels)
	switch {
	case n == 0:
		return fmt.Errorf("block_out_channels is empty")
	case len(c.DownBlockTypes) != n || len(c.UpBlockTypes) != n:
		return fmt.Errorf("%d block_out_channels, %d down_block_types, %d up_block_types",
			n, len(c.DownBlockTypes), len(c.UpBlockTypes))
	case c.InChannels <= 0 || c.OutChannels <= 0 || c.LatentChannels <= 0 || c.LayersPerBlock <= 0:
		return fmt.Errorf("in_channels %d, out_channels %d, latent_channels %d, layers_per_block %d",
			c.InChannels, c.OutChannels, c.LatentChannels, c.LayersPerBlock)
	case c.ScalingFactor == 0:
		return fmt.Errorf("scaling_factor is 0")
	}
	for i, ch := range c.BlockOutChannels {
		if ch <= 0 || c.NormNumGroups <= 0 || ch%c.NormNumGroups != 0 {
			return fmt.Errorf("block %d: %d channels do not split into %d norm groups", i, ch, c.NormNumGroups)
		}
	}
	return nil
}
