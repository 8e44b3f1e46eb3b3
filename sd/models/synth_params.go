package models

import (
	"github.com/tomebench/tomebench/sd/diffusers"
)

// SynthParams lists the full state_dict Synth writes for cfg's model: what Params lists,
// plus the VAE's encoder and quant_conv (which the decoder graph does not read) and CLIP's
// position_ids buffer (saved by transformers 4.26), so that diffusers and transformers
// load the folder without missing keys.
func SynthParams(cfg Config) ([]Param, error) {
	ps, err := Params(cfg)
	if err != nil {
		return nil, err
	}
	switch cfg := cfg.(type) {
	case *diffusers.VAEConfig:
		_, enc, err := buildWith(cfg, func(c *ctx) { c.vaeEncoder(cfg) })
		if err != nil {
			return nil, err
		}
		ps = append(enc, ps...)
	case *diffusers.CLIPTextConfig:
		ps = append(ps, Param{Name: "text_model.embeddings.position_ids", Shape: []int{1, cfg.MaxPositionEmbeddings}, Init: InitPositionIDs})
	}
	return ps, nil
}

// buildWith runs body in spec mode (no weights) and returns the parameters it declared.
func buildWith(cfg Config, body func(c *ctx)) (struct{}, []Param, error) {
	m, _, err := build(cfg, nil, "", Options{}, inlineSink{})
	if err != nil {
		return struct{}{}, nil, err
	}
	c := newCtx(m, Options{}, nil, "", inlineSink{})
	body(c)
	return struct{}{}, c.params, c.err
}
