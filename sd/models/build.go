package models

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// A Component is one of the three networks of an SD pipeline that this package builds.
type Component string

// The components, named as the ONNX folder layout names their subfolders.
const (
	UNet        Component = "unet"
	TextEncoder Component = "text_encoder"
	VAEDecoder  Component = "vae_decoder"
)

// A Config is the parsed config.json of one component: *diffusers.UNetConfig,
// *diffusers.CLIPTextConfig or *diffusers.VAEConfig.
type Config any

// componentOf says which component a config builds.
func componentOf(cfg Config) (Component, error) {
	switch cfg.(type) {
	case *diffusers.UNetConfig:
		return UNet, nil
	case *diffusers.CLIPTextConfig:
		return TextEncoder, nil
	case *diffusers.VAEConfig:
		return VAEDecoder, nil
	}
	return "", fmt.Errorf("models: unknown config type %T", cfg)
}

// build runs the builder of cfg's component into a fresh model. src may be nil (only
// the parameters are declared; the graph has no weights).
func build(cfg Config, src WeightSource, srcName string, opt Options, s sink) (*onnx.Model, []Param, error) {
	if opt.opset() < MinOpset {
		return nil, nil, fmt.Errorf("models: opset %d is below the minimum %d", opt.opset(), MinOpset)
	}
	comp, err := componentOf(cfg)
	if err != nil {
		return nil, nil, err
	}
	m := onnx.NewModel(string(comp), opt.opset())
	m.Proto.ProducerName = "tomebench"
	if opt.FusedAttention {
		m.Proto.OpsetImport = append(m.Proto.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: MSDomain, Version: 1})
	}
	c := newCtx(m, opt, src, srcName, s)
	switch cfg := cfg.(type) {
	case *diffusers.UNetConfig:
		if err := checkUNet(cfg); err != nil {
			return nil, nil, err
		}
		c.unet(cfg)
	case *diffusers.CLIPTextConfig:
		if err := checkCLIP(cfg); err != nil {
			return nil, nil, err
		}
		c.clipText(cfg)
	case *diffusers.VAEConfig:
		if err := checkVAE(cfg); err != nil {
			return nil, nil, err
		}
		c.vaeDecoder(cfg)
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	return m, c.params, nil
}

// Build builds the ONNX graph of cfg's component (UNet2DConditionModel, CLIPTextModel or
// AutoencoderKL's decoder) with the weights of w, kept inline in the model: use it for
// models under protobuf's 2 GiB limit, and Write for any size. Missing weights, or
// weights whose shape differs from what the config implies, are errors naming the key.
func Build(cfg Config, w WeightSource, opt Options) (*onnx.Model, error) {
	if w == nil {
		panic("models: Build without weights")
	}
	m, _, err := build(cfg, w, sourceName(w), opt, inlineSink{})
	return m, err
}

// Params lists the state_dict tensors the component of cfg reads, in build order, with
// their shapes (the VAE's encoder and quant_conv are not read; see SynthParams).
func Params(cfg Config) ([]Param, error) {
	_, ps, err := build(cfg, nil, "", Options{}, inlineSink{})
	return ps, err
}

// NumParams returns the number of parameter values in ps (buffers such as CLIP's
// position_ids not counted), as sum(p.numel() for p in model.parameters()) gives.
func NumParams(ps []Param) int64 { return numParams(ps) }

func sourceName(w WeightSource) string {
	if d, ok := w.(interface{ Dir() string }); ok {
		return d.Dir()
	}
	return "weights"
}
