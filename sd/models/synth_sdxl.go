package models

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// SDXL architectures for Synth: "sdxl" has the shapes of stabilityai/stable-diffusion-xl-base-1.0
// (UNet 2,567,463,684 parameters, CLIP ViT-L text_encoder, OpenCLIP bigG
// text_encoder_2 with projection, the SDXL VAE with scaling_factor 0.13025), for speed
// and memory work; "tiny-sdxl" has the tiny shapes of the fixtures' tiny_sdxl. Both write
// a StableDiffusionXLPipeline folder: text_encoder_2/, tokenizer_2/ (pad "!"),
// SDXL base's EulerDiscrete scheduler config and force_zeros_for_empty_prompt.
func init() {
	archs["sdxl"] = Arch{Name: "sdxl", About: "Stable Diffusion XL base 1.0 (stabilityai/stable-diffusion-xl-base-1.0): 2.6B-parameter UNet, CLIP ViT-L + OpenCLIP bigG text encoders, 1024×1024",
		UNet: sdxlUNet, TextEncoder: sdxlText1, TextEncoder2: sdxlText2, VAE: sdxlVAE, PadToken: "<|endoftext|>"}
	archs["tiny-sdxl"] = Arch{Name: "tiny-sdxl", About: "a tiny SDXL-layout pipeline (1.1M-parameter UNet with transformer depth (1, 2, 2), two text encoders), like the fixtures' tiny_sdxl",
		UNet: tinySDXLUNet, TextEncoder: tinySDXLText1, TextEncoder2: tinySDXLText2, VAE: tinySDXLVAE, PadToken: "<|endoftext|>"}
}

// synthSDXL writes what an SDXL folder has beyond synthInto's SD 1.x files:
// text_encoder_2, tokenizer_2, the Euler scheduler config and model_index.json.
func synthSDXL(dir string, arch Arch, opt SynthOptions, res *Synthesized) error {
	start := time.Now()
	cfg, err := parseCLIPArch(arch.Name, arch.TextEncoder2)
	if err != nil {
		return err
	}
	ps, err := SynthParams(cfg)
	if err != nil {
		return err
	}
	d := filepath.Join(dir, "text_encoder_2")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d, "config.json"), []byte(arch.TextEncoder2+"\n"), 0o644); err != nil {
		return err
	}
	n, err := writeSynthSafetensors(filepath.Join(d, "model.safetensors"), ps, opt.Seed)
	if err != nil {
		return err
	}
	res.Params["text_encoder_2"] = numParams(ps)
	res.Bytes += n
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "text_encoder_2: %d parameters, %.1f MB, %.1fs\n", numParams(ps), float64(n)/1e6, time.Since(start).Seconds())
	}
	if err := writeTokenizer(filepath.Join(dir, "tokenizer_2"), "!"); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "scheduler", "scheduler_config.json"), []byte(sdxlEulerConfig), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "model_index.json"), []byte(sdxlPipelineIndex), 0o644)
}

func parseCLIPArch(arch, text string) (Config, error) {
	return diffusers.ParseCLIPTextConfig(arch+"/text_encoder_2/config.json", []byte(text))
}

const sdxlUNetCommon = `
  "_class_name": "UNet2DConditionModel",
  "_diffusers_version": "0.19.3",
  "act_fn": "silu",
  "addition_embed_type": "text_time",
  "addition_embed_type_num_heads": 64,
  "center_input_sample": false,
  "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
  "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
  "mid_block_type": "UNetMidBlock2DCrossAttn",
  "downsample_padding": 1,
  "dual_cross_attention": false,
  "flip_sin_to_cos": true,
  "freq_shift": 0,
  "in_channels": 4,
  "out_channels": 4,
  "layers_per_block": 2,
  "mid_block_scale_factor": 1,
  "norm_eps": 1e-05,
  "only_cross_attention": false,
  "resnet_time_scale_shift": "default",
  "upcast_attention": false,
  "use_linear_projection": true,`

// sdxlUNet is SDXL base 1.0's unet/config.json (2816 = 1280 + 6·256).
const sdxlUNet = `{` + sdxlUNetCommon + `
  "addition_time_embed_dim": 256,
  "attention_head_dim": [5, 10, 20],
  "block_out_channels": [320, 640, 1280],
  "cross_attention_dim": 2048,
  "norm_num_groups": 32,
  "projection_class_embeddings_input_dim": 2816,
  "sample_size": 128,
  "transformer_layers_per_block": [1, 2, 10]
}`

// tinySDXLUNet is the fixtures' tiny_sdxl UNet (72 = 24 + 6·8).
const tinySDXLUNet = `{` + sdxlUNetCommon + `
  "addition_time_embed_dim": 8,
  "attention_head_dim": [1, 2, 4],
  "block_out_channels": [16, 32, 40],
  "cross_attention_dim": 48,
  "norm_num_groups": 8,
  "projection_class_embeddings_input_dim": 72,
  "sample_size": 32,
  "transformer_layers_per_block": [1, 2, 2]
}`

// sdxlText1 is SDXL's text_encoder: CLIP ViT-L/14's text tower, as in SD 1.5.
const sdxlText1 = sd15Text

// sdxlText2 is SDXL's text_encoder_2: OpenCLIP ViT-bigG/14's text tower with projection.
var sdxlText2 = withProjection(`{` + clipCommon + `
  "hidden_act": "gelu",
  "hidden_size": 1280,
  "intermediate_size": 5120,
  "num_attention_heads": 20,
  "num_hidden_layers": 32,
  "projection_dim": 1280
}`)

const tinySDXLText1 = `{` + clipCommon + `
  "hidden_act": "quick_gelu",
  "hidden_size": 16,
  "intermediate_size": 64,
  "num_attention_heads": 2,
  "num_hidden_layers": 3,
  "projection_dim": 16
}`

var tinySDXLText2 = withProjection(`{` + clipCommon + `
  "hidden_act": "gelu",
  "hidden_size": 32,
  "intermediate_size": 128,
  "num_attention_heads": 4,
  "num_hidden_layers": 4,
  "projection_dim": 24
}`)

func withProjection(cfg string) string {
	return strings.Replace(cfg, `"architectures": ["CLIPTextModel"]`, `"architectures": ["CLIPTextModelWithProjection"]`, 1)
}

// sdxlVAE is SDXL's VAE config: SD's shapes with scaling_factor 0.13025.
var sdxlVAE = strings.NewReplacer(`"scaling_factor": 0.18215`, `"scaling_factor": 0.13025`, `"sample_size": 512`, `"sample_size": 1024`).Replace(sdVAE)

const tinySDXLVAE = `{
  "_class_name": "AutoencoderKL",
  "_diffusers_version": "0.19.3",
  "act_fn": "silu",
  "block_out_channels": [8, 16, 32, 32],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
  "force_upcast": true,
  "in_channels": 3,
  "latent_channels": 4,
  "layers_per_block": 2,
  "norm_num_groups": 4,
  "out_channels": 3,
  "sample_size": 256,
  "scaling_factor": 0.13025
}`

// sdxlEulerConfig is SDXL base 1.0's scheduler_config.json.
const sdxlEulerConfig = `{
  "_class_name": "EulerDiscreteScheduler",
  "_diffusers_version": "0.19.3",
  "beta_end": 0.012,
  "beta_schedule": "scaled_linear",
  "beta_start": 0.00085,
  "clip_sample": false,
  "interpolation_type": "linear",
  "num_train_timesteps": 1000,
  "prediction_type": "epsilon",
  "sample_max_value": 1.0,
  "set_alpha_to_one": false,
  "skip_prk_steps": true,
  "steps_offset": 1,
  "timestep_spacing": "leading",
  "trained_betas": null,
  "use_karras_sigmas": false
}
`

const sdxlPipelineIndex = `{
  "_class_name": "StableDiffusionXLPipeline",
  "_diffusers_version": "0.19.3",
  "force_zeros_for_empty_prompt": true,
  "scheduler": ["diffusers", "EulerDiscreteScheduler"],
  "text_encoder": ["transformers", "CLIPTextModel"],
  "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
  "tokenizer": ["transformers", "CLIPTokenizer"],
  "tokenizer_2": ["transformers", "CLIPTokenizer"],
  "unet": ["diffusers", "UNet2DConditionModel"],
  "vae": ["diffusers", "AutoencoderKL"]
}
`
