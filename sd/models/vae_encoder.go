package models

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// VAEEncoder is the VAE encoder component (optimum's vae_encoder/ folder).
const VAEEncoder Component = "vae_encoder"

// VAE encoder graph input and output, as optimum's export names them.
const (
	VAEEncoderSample    = "sample"            // [batch, in_channels, H, W] image in [-1, 1]
	VAELatentParameters = "latent_parameters" // [batch, 2·latent_channels, H/8, W/8]: mean, then logvar
)

// BuildVAEEncoder builds AutoencoderKL's encoder and quant_conv as ONNX with the
// weights of w: sample → latent_parameters, the posterior's moments (channels
// [0, latent_channels) the mean, the rest the log-variance, not yet clamped to
// [−30, 20]). This is optimum's vae_encoder (encode(x).latent_dist.parameters); unlike
// diffusers' own ONNX script it does not bake a random sample into the graph, so the
// caller draws the noise (sample = mean + exp(logvar/2)·ε) and stays reproducible.
// opt.Height and opt.Width, when set, are the latent size (the image is 8× larger).
func BuildVAEEncoder(cfg *diffusers.VAEConfig, w WeightSource, opt Options) (*onnx.Model, error) {
	if w == nil {
		panic("models: BuildVAEEncoder without weights")
	}
	if err := checkVAE(cfg); err != nil {
		return nil, err
	}
	if opt.opset() < MinOpset {
		return nil, fmt.Errorf("models: opset %d is below the minimum %d", opt.opset(), MinOpset)
	}
	m := onnx.NewModel(string(VAEEncoder), opt.opset())
	m.Proto.ProducerName = "tomebench"
	c := newCtx(m, opt, w, sourceName(w), inlineSink{})
	f := int64(cfg.Downscale())
	h, wd := dimOrDynamic(c.opt.Height), dimOrDynamic(c.opt.Width)
	ih, iw := h, wd
	if h > 0 {
		ih = h * f
	}
	if wd > 0 {
		iw = wd * f
	}
	x := c.floatInput(VAEEncoderSample, []int64{-1, int64(cfg.InChannels), ih, iw}, "batch", "", symbolic(ih, "height"), symbolic(iw, "width"))
	moments := c.encodeImage(cfg, x)
	c.floatOutput(c.root, moments, VAELatentParameters, []int64{-1, int64(2 * cfg.LatentChannels), h, wd},
		"batch", "", symbolic(h, "latent_height"), symbolic(wd, "latent_width"))
	if c.err != nil {
		return nil, c.err
	}
	return m, nil
}

// WriteVAEEncoder builds the VAE encoder (BuildVAEEncoder) and writes dir/model.onnx,
// weights inline (SD's encoder is 34M parameters).
func WriteVAEEncoder(dir string, cfg *diffusers.VAEConfig, w WeightSource, opt Options) (*Written, error) {
	m, err := BuildVAEEncoder(cfg, w, opt)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out := &Written{Component: VAEEncoder, Model: filepath.Join(dir, "model.onnx")}
	for _, t := range m.Graph().P.Initializer {
		if len(t.RawData) > 0 {
			out.Bytes += int64(len(t.RawData))
		}
	}
	m.Dir = dir
	if err := m.Save(out.Model, onnx.SaveOptions{}); err != nil {
		return nil, fmt.Errorf("models: writing %s: %w", out.Model, err)
	}
	return out, nil
}

// convertVAEEncoder writes the encoder of the VAE folder vaeDir into dir (Convert's
// vae_encoder/, with the VAE's config.json beside it).
func convertVAEEncoder(vaeDir, dir string, cfg *diffusers.VAEConfig, opt ConvertOptions, res *Converted) error {
	w, err := diffusers.OpenWeights(vaeDir, diffusers.Options{Variant: opt.Variant})
	if err != nil {
		return err
	}
	defer w.Close()
	wr, err := WriteVAEEncoder(dir, cfg, w, opt.latent(cfg.Downscale()))
	if err != nil {
		return err
	}
	if err := copyFile(filepath.Join(vaeDir, "config.json"), filepath.Join(dir, "config.json")); err != nil {
		return err
	}
	res.Components = append(res.Components, wr)
	return nil
}
