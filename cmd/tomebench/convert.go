package main

import (
	"flag"
	"fmt"

	"github.com/tomebench/tomebench/sd/models"
)

var convertCommand = &command{
	name: "convert",
	args: "DIFFUSERS_DIR --out ONNX_DIR",
	summary: "Build ONNX models from a diffusers folder (safetensors + config.json), without Python.\n" +
		"A pipeline folder becomes the optimum / diffusers ONNX layout (text_encoder/, unet/ with\n" +
		"weights.pb, vae_decoder/, tokenizer/, scheduler/, model_index.json); a single component\n" +
		"folder (unet/, vae/ or text_encoder/) becomes ONNX_DIR/model.onnx. Node names follow\n" +
		"torch.onnx.export, so 'tomebench patch' treats the UNet like any export.",
	run: runConvert,
}

func runConvert(e *env, fs *flag.FlagSet, args []string) error {
	out := fs.String("out", "", "output `folder` (must not exist or be empty)")
	fp16 := fs.Bool("fp16", false, "store weights and compute in float16 (inputs and outputs float16 too)")
	fp32IO := fs.Bool("fp32-io", false, "with --fp16, keep float32 inputs and outputs")
	size := fs.Int("size", 0, "fix the image size in `pixels` (latent = size / the VAE's downscale, 8 for SD); 0 leaves height and width dynamic")
	opset := fs.Int("opset", models.DefaultOpset, "ai.onnx operator set (14: LayerNorm decomposed as torch exports it)")
	variant := fs.String("variant", "", "read weight files of this variant, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors)")
	tsInt64 := fs.Bool("timestep-int64", false, "make the UNet's timestep input int64 (as optimum) instead of float32")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one diffusers folder, got %d arguments", len(pos))
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if *opset < models.MinOpset {
		return usagef("--opset must be at least %d", models.MinOpset)
	}
	if *size < 0 || *size%8 != 0 {
		return usagef("--size must be a positive multiple of 8, got %d", *size)
	}
	res, err := models.Convert(pos[0], *out, models.ConvertOptions{
		Options:   models.Options{Opset: int64(*opset), Float16: *fp16, Float32IO: *fp32IO, TimestepInt64: *tsInt64},
		ImageSize: *size, Variant: *variant, Log: e.stderr,
	})
	if err != nil {
		return err
	}
	for _, w := range res.Components {
		fmt.Fprintf(e.stdout, "%-12s %s  %d parameters\n", w.Component, w.Model, w.Params)
	}
	return nil
}
