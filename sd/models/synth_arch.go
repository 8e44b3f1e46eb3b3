package models

import (
	"fmt"
	"sort"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// An Arch is a named architecture Synth can write: the configs of its UNet, text encoder
// and VAE, as the released model folders state them.
type Arch struct {
	Name        string
	About       string
	UNet        string // config.json texts
	TextEncoder string
	VAE         string
	PadToken    string // the tokenizer's pad token ("<|endoftext|>"; SD 2.x "!")
	// TextEncoder2 is SDXL's text_encoder_2 config ("" for SD 1.x/2.x); with it Synth
	// writes a StableDiffusionXLPipeline folder (synth_sdxl.go).
	TextEncoder2 string
}

// archs are the architectures of `tomebench synth --arch`.
var archs = map[string]Arch{
	"tiny": {Name: "tiny", About: "the tiny SD 1.5-layout pipeline of the fixtures (2.1M-parameter UNet, 64×64 images, 32×32 latents)",
		UNet: tinyUNet, TextEncoder: tinyText, VAE: tinyVAE, PadToken: "<|endoftext|>"},
	"sd15": {Name: "sd15", About: "Stable Diffusion 1.5 (runwayml/stable-diffusion-v1-5): 859.5M-parameter UNet, CLIP ViT-L/14 text encoder",
		UNet: sd15UNet, TextEncoder: sd15Text, VAE: sdVAE, PadToken: "<|endoftext|>"},
	"sd2": {Name: "sd2", About: "Stable Diffusion 2.1 base (stabilityai/stable-diffusion-2-1-base): 865.9M-parameter UNet with linear projections, OpenCLIP ViT-H text encoder",
		UNet: sd2UNet, TextEncoder: sd2Text, VAE: sdVAE, PadToken: "!"},
}

// ArchNames returns the names Synth accepts, sorted.
func ArchNames() []string {
	out := make([]string, 0, len(archs))
	for n := range archs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupArch returns the architecture called name.
func LookupArch(name string) (Arch, error) {
	a, ok := archs[name]
	if !ok {
		return Arch{}, fmt.Errorf("models: unknown architecture %q (have %v)", name, ArchNames())
	}
	return a, nil
}

// Configs parses the architecture's three configs.
func (a Arch) Configs() (*diffusers.UNetConfig, *diffusers.CLIPTextConfig, *diffusers.VAEConfig, error) {
	u, err := diffusers.ParseUNetConfig(a.Name+"/unet/config.json", []byte(a.UNet))
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := diffusers.ParseCLIPTextConfig(a.Name+"/text_encoder/config.json", []byte(a.TextEncoder))
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := diffusers.ParseVAEConfig(a.Name+"/vae/config.json", []byte(a.VAE))
	if err != nil {
		return nil, nil, nil, err
	}
	return u, t, v, nil
}

const sdBlocks = `
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
  "mid_block_type": "UNetMidBlock2DCrossAttn",
  "act_fn": "silu",
  "center_input_sample": false,
  "downsample_padding": 1,
  "flip_sin_to_cos": true,
  "freq_shift": 0,
  "in_channels": 4,
  "out_channels": 4,
  "mid_block_scale_factor": 1,
  "norm_eps": 1e-05,
  "only_cross_attention": false,
  "dual_cross_attention": false,
  "num_class_embeds": null,
  "upcast_attention": false,
  "resnet_time_scale_shift": "default",`

const tinyUNet = `{
  "_class_name": "UNet2DConditionModel",
  "_diffusers_version": "0.19.3",` + sdBlocks + `
  "attention_head_dim": 2,
  "block_out_channels": [32, 64, 64, 64],
  "cross_attention_dim": 32,
  "layers_per_block": 1,
  "norm_num_groups": 16,
  "sample_size": 32,
  "use_linear_projection": false
}`

const sd15UNet = `{
  "_class_name": "UNet2DConditionModel",
  "_diffusers_version": "0.19.3",` + sdBlocks + `
  "attention_head_dim": 8,
  "block_out_channels": [320, 640, 1280, 1280],
  "cross_attention_dim": 768,
  "layers_per_block": 2,
  "norm_num_groups": 32,
  "sample_size": 64,
  "use_linear_projection": false
}`

const sd2UNet = `{
  "_class_name": "UNet2DConditionModel",
  "_diffusers_version": "0.19.3",` + sdBlocks + `
  "attention_head_dim": [5, 10, 20, 20],
  "block_out_channels": [320, 640, 1280, 1280],
  "cross_attention_dim": 1024,
  "layers_per_block": 2,
  "norm_num_groups": 32,
  "sample_size": 64,
  "use_linear_projection": true
}`

const clipCommon = `
  "architectures": ["CLIPTextModel"],
  "model_type": "clip_text_model",
  "attention_dropout": 0.0,
  "dropout": 0.0,
  "bos_token_id": 0,
  "eos_token_id": 2,
  "pad_token_id": 1,
  "initializer_factor": 1.0,
  "initializer_range": 0.02,
  "layer_norm_eps": 1e-05,
  "max_position_embeddings": 77,
  "torch_dtype": "float32",
  "transformers_version": "4.26.1",
  "vocab_size": 49408,`

const tinyText = `{` + clipCommon + `
  "hidden_act": "quick_gelu",
  "hidden_size": 32,
  "intermediate_size": 64,
  "num_attention_heads": 4,
  "num_hidden_layers": 2,
  "projection_dim": 32
}`

const sd15Text = `{` + clipCommon + `
  "hidden_act": "quick_gelu",
  "hidden_size": 768,
  "intermediate_size": 3072,
  "num_attention_heads": 12,
  "num_hidden_layers": 12,
  "projection_dim": 768
}`

const sd2Text = `{` + clipCommon + `
  "hidden_act": "gelu",
  "hidden_size": 1024,
  "intermediate_size": 4096,
  "num_attention_heads": 16,
  "num_hidden_layers": 23,
  "projection_dim": 512
}`

const tinyVAE = `{
  "_class_name": "AutoencoderKL",
  "_diffusers_version": "0.19.3",
  "act_fn": "silu",
  "block_out_channels": [32, 64],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
  "force_upcast": true,
  "in_channels": 3,
  "latent_channels": 4,
  "layers_per_block": 1,
  "norm_num_groups": 16,
  "out_channels": 3,
  "sample_size": 64,
  "scaling_factor": 0.18215
}`

const sdVAE = `{
  "_class_name": "AutoencoderKL",
  "_diffusers_version": "0.19.3",
  "act_fn": "silu",
  "block_out_channels": [128, 256, 512, 512],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
  "force_upcast": true,
  "in_channels": 3,
  "latent_channels": 4,
  "layers_per_block": 2,
  "norm_num_groups": 32,
  "out_channels": 3,
  "sample_size": 512,
  "scaling_factor": 0.18215
}`

// pndmConfig is SD 1.5's (and SD 2.1 base's) scheduler_config.json.
const pndmConfig = `{
  "_class_name": "PNDMScheduler",
  "_diffusers_version": "0.19.3",
  "beta_end": 0.012,
  "beta_schedule": "scaled_linear",
  "beta_start": 0.00085,
  "clip_sample": false,
  "num_train_timesteps": 1000,
  "prediction_type": "epsilon",
  "set_alpha_to_one": false,
  "skip_prk_steps": true,
  "steps_offset": 1,
  "timestep_spacing": "leading",
  "trained_betas": null
}
`

// pipelineIndex is a StableDiffusionPipeline's model_index.json.
const pipelineIndex = `{
  "_class_name": "StableDiffusionPipeline",
  "_diffusers_version": "0.19.3",
  "feature_extractor": [null, null],
  "requires_safety_checker": false,
  "safety_checker": [null, null],
  "scheduler": ["diffusers", "PNDMScheduler"],
  "text_encoder": ["transformers", "CLIPTextModel"],
  "tokenizer": ["transformers", "CLIPTokenizer"],
  "unet": ["diffusers", "UNet2DConditionModel"],
  "vae": ["diffusers", "AutoencoderKL"]
}
`
