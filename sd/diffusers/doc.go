// Package diffusers reads Stable Diffusion models saved in Hugging Face diffusers folder
// layout, without Python.
//
// A pipeline folder (what StableDiffusionPipeline.save_pretrained writes, or a snapshot in
// the Hugging Face cache) holds
//
//	model_index.json      pipeline class and, per component, ["library", "Class"]
//	unet/                 config.json + diffusion_pytorch_model[.fp16].safetensors
//	vae/                  the same, AutoencoderKL
//	text_encoder/         config.json + model[.fp16].safetensors (transformers CLIPTextModel)
//	tokenizer/            vocab.json + merges.txt (CLIPTokenizer)
//	scheduler/            scheduler_config.json
//
// OpenPipeline reads model_index.json; UNet, VAE and TextEncoder load one component:
// its config.json into a typed struct with diffusers' (or transformers') defaults for
// absent keys, and its weights as a *Weights. Weights are chosen the way diffusers
// chooses them: a single file, or shards listed by a ".safetensors.index.json" weight_map,
// with the ".fp16" file names when Options.Variant is "fp16". Only safetensors files are
// read; a folder that holds only PyTorch pickles (.bin) is refused with ErrNoSafetensors,
// since unpickling is neither safe nor pure Go.
//
// UNetConfig keeps one diffusers quirk visible: attention_head_dim is used as the number
// of heads when num_attention_heads is unset, which is how every released SD 1.x, 2.x and
// SDXL config is written (SD 1.5: 8 heads; SD 2.x: [5, 10, 20, 20] heads of 64 channels).
// HeadsPerBlock resolves it.
//
// Resolve accepts a folder or a Hub repo id ("runwayml/stable-diffusion-v1-5", optionally
// "@revision") and finds the snapshot in the local Hugging Face cache (HF_HUB_CACHE,
// HF_HOME, ~/.cache/huggingface/hub). It never goes online.
//
// Every problem with a folder comes back as an *Error naming the path and what is wrong.
package diffusers
