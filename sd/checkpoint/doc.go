// Package checkpoint reads single-file Stable Diffusion checkpoints in the original
// CompVis / Stability (LDM) layout — what A1111 and ComfyUI load: one ".safetensors" or
// ".ckpt" (torch.save zip, a dict with "state_dict") holding the UNet under
// "model.diffusion_model.", the VAE under "first_stage_model." and the text encoder
// under "cond_stage_model.transformer." (SD 1.x, transformers' CLIPTextModel names) or
// "cond_stage_model.model." (SD 2.x, OpenCLIP names) — and turns them into the ONNX
// layout the pipeline runs, or into a diffusers folder.
//
// The steps:
//
//  1. [Open] reads the file: safetensors by mmap, ".ckpt" through
//     internal/torchpth.LoadCheckpoint, which refuses any pickle naming a global other
//     than the tensor rebuilds, storage classes and OrderedDict (loading never runs
//     code). fp16 and bf16 tensors are kept as they are. When more than 100 "model_ema"
//     keys exist, the UNet's EMA weights replace the training ones by default — what
//     diffusers' conversion script does with --extract_ema, not its default (see
//     Options.NoEMA for why); Options.NoEMA (--no-ema) keeps the training weights, as
//     diffusers does by default. Load prints which were used.
//  2. The architecture ([Arch]) comes from an LDM inference YAML (v1-inference.yaml,
//     v2-inference(-v).yaml structure; [FromYAML]), from the configs of a diffusers
//     folder ([FromDiffusers]), or is inferred from the weights' shapes ([Infer]; SD 2.x
//     (Arch.Family) when the text encoder is OpenCLIP's, the projections are linear or
//     the context is 1024 wide, with 64-channel heads per level; else SD 1.x with 8
//     heads). An inferred SD 2.x checkpoint needs Options.PredictionType (512-base and
//     768-v have the same shapes); v2-inference-v.yaml sets v_prediction. What was
//     inferred or assumed is listed in Arch.Notes, for the caller to print.
//  3. The key mapping ([Mapping], keymap.go) follows diffusers v0.19.3's
//     convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint,
//     convert_ldm_clip_checkpoint and convert_open_clip_checkpoint, stated as tables
//     generated from the architecture (levels and layers per block are read from it, so
//     SD's numbers are not hard-coded). Every mapped tensor is checked against the shape
//     the architecture needs before anything is written; a checkpoint of another
//     architecture (SDXL's "conditioner." keys, missing or unexpected keys, a shape that
//     disagrees with the YAML) is one *Error naming the file and the mismatch.
//  4. [ToONNX] builds the three networks (and the VAE encoder) with sd/models from the
//     renamed tensors — the same code, the same bytes, as converting the equivalent
//     diffusers folder — and writes the tokenizer, scheduler and configs beside them;
//     [WriteDiffusers] writes the diffusers folder instead; [ConvertedDir] caches
//     ToONNX's result by the checkpoint's content, as pipeline.ConvertedDir does for
//     diffusers folders.
package checkpoint
