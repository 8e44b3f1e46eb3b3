package main

import (
	"flag"
	"fmt"

	"github.com/tomebench/tomebench/sd/checkpoint"
	"github.com/tomebench/tomebench/sd/models"
)

var convertCommand = &command{
	name: "convert",
	args: "DIFFUSERS_DIR|CHECKPOINT --out DIR",
	summary: "Build ONNX models from a diffusers folder (safetensors + config.json), without Python.\n" +
		"A pipeline folder becomes the optimum / diffusers ONNX layout (text_encoder/, unet/ with\n" +
		"weights.pb, vae_decoder/, tokenizer/, scheduler/, model_index.json); a single component\n" +
		"folder (unet/, vae/ or text_encoder/) becomes ONNX_DIR/model.onnx. Node names follow\n" +
		"torch.onnx.export, so 'tomebench patch' treats the UNet like any export.\n" +
		"A single-file SD 1.x/2.x checkpoint (.safetensors or .ckpt, original LDM layout) converts too, with\n" +
		"its architecture from --original-config YAML, --config DIFFUSERS_DIR, or inferred from its weights\n" +
		"(printed); --format diffusers writes a diffusers folder instead. A .ckpt never runs its pickle.",
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
	var ck ckptFlags // single-file checkpoints (genextra.go)
	ck.register(fs)
	format := fs.String("format", "onnx", "single-file checkpoint: write onnx (the ONNX layout) or diffusers (a diffusers folder of safetensors)")
	attention := fs.String("attention", "plain", "UNet attention: plain (ONNX ops) or fused (ONNX Runtime's com.microsoft MultiHeadAttention; runs on ONNX Runtime only)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *attention != "plain" && *attention != "fused" {
		return usagef("--attention: want plain or fused, got %q", *attention)
	}
	if len(pos) != 1 {
		return usagef("want one diffusers folder or checkpoint file, got %d arguments", len(pos))
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
	mo := models.Options{Opset: int64(*opset), Float16: *fp16, Float32IO: *fp32IO, TimestepInt64: *tsInt64, FusedAttention: *attention == "fused"}
	if checkpoint.IsCheckpoint(pos[0]) {
		return convertCheckpoint(e, pos[0], *out, *format, &ck, mo, *size)
	}
	if ck.used() || *format != "onnx" {
		return usagef("--original-config, --config, --prediction-type, --no-ema and --format apply to single-file checkpoints; %s is not one", pos[0])
	}
	res, err := models.Convert(pos[0], *out, models.ConvertOptions{
		Options:   models.Options{Opset: int64(*opset), Float16: *fp16, Float32IO: *fp32IO, TimestepInt64: *tsInt64, FusedAttention: *attention == "fused"},
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
