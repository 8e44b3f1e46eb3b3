package diffusers

import (
	"path/filepath"
)

// A UNet is a UNet2DConditionModel component: its config and weights.
type UNet struct {
	Dir     string
	Config  *UNetConfig
	Weights *Weights
}

// A VAE is an AutoencoderKL component: its config and weights.
type VAE struct {
	Dir     string
	Config  *VAEConfig
	Weights *Weights
}

// A TextEncoder is a transformers CLIPTextModel component: its config and weights.
type TextEncoder struct {
	Dir     string
	Config  *CLIPTextConfig
	Weights *Weights
}

// LoadUNet reads dir/config.json and opens the weights in dir.
func LoadUNet(dir string, opt Options) (*UNet, error) {
	c, err := ReadUNetConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	w, err := OpenWeights(dir, opt)
	if err != nil {
		return nil, err
	}
	return &UNet{Dir: dir, Config: c, Weights: w}, nil
}

// LoadVAE reads dir/config.json and opens the weights in dir.
func LoadVAE(dir string, opt Options) (*VAE, error) {
	c, err := ReadVAEConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	w, err := OpenWeights(dir, opt)
	if err != nil {
		return nil, err
	}
	return &VAE{Dir: dir, Config: c, Weights: w}, nil
}

// LoadTextEncoder reads dir/config.json and opens the weights in dir.
func LoadTextEncoder(dir string, opt Options) (*TextEncoder, error) {
	c, err := ReadCLIPTextConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	w, err := OpenWeights(dir, opt)
	if err != nil {
		return nil, err
	}
	return &TextEncoder{Dir: dir, Config: c, Weights: w}, nil
}

// Close releases the weights.
func (m *UNet) Close() error { return m.Weights.Close() }

// Close releases the weights.
func (m *VAE) Close() error { return m.Weights.Close() }

// Close releases the weights.
func (m *TextEncoder) Close() error { return m.Weights.Close() }
