// Package pipeline is Stable Diffusion's text-to-image sampling loop over ONNX models, the
// Go counterpart of diffusers' StableDiffusionPipeline (v0.19.3) with ONNX Runtime doing
// the network work.
//
// [Open] takes a model folder in one of two layouts:
//
//   - an ONNX folder as optimum and diffusers' convert_stable_diffusion_checkpoint_to_onnx.py
//     write it: text_encoder/model.onnx, unet/model.onnx (weights inline or in an external
//     file beside it), vae_decoder/model.onnx, tokenizer/ (vocab.json, merges.txt),
//     scheduler/scheduler_config.json, and optionally model_index.json and the components'
//     config.json files;
//   - a diffusers folder (model_index.json, unet/, text_encoder/, vae/ with config.json and
//     safetensors). It is converted once to the ONNX layout by sd/models and the result is
//     kept in a cache keyed by the folder's content (see [ConvertedDir]).
//
// Exporters differ in details, so the pipeline reads them from the models: the UNet's
// input names (sample, timestep, encoder_hidden_states and any tome_rand_idx_<k>), the
// timestep's type and rank (float [B], int64 [B], a scalar, ...), float16 or float32
// tensors, and the text encoder's int32 or int64 input_ids.
//
// [Pipeline.Generate] then does what diffusers does, step by step:
//
//  1. tokenize the prompts and the negative prompts ("" when none) with CLIP's tokenizer,
//     padded to 77 tokens;
//  2. text embeddings: one text-encoder call per list, stacked [uncond; cond] as
//     _encode_prompt concatenates them;
//  3. initial latents [B, C, H/f, W/f] (f the VAE's downscale factor): given ones, or seeded
//     Gaussian noise (see [Gaussian]: image i uses seed Seed+i, so an image does not depend
//     on the batch it is generated in); times the scheduler's init_noise_sigma;
//  4. for every timestep t: one UNet call on the stacked batch [latents; latents] with the
//     embeddings [uncond; cond] (scale_model_input applied), then classifier-free guidance
//     eps = eps_u + g*(eps_c - eps_u) and the scheduler step; with g <= 1 there is no
//     unconditional half, as in diffusers;
//  5. decode latents/scaling_factor with the VAE decoder, image = clamp(x/2 + 0.5, 0, 1),
//     and 8-bit RGB as numpy_to_pil rounds it: round-half-even(x*255) in float32.
//
// SDXL folders (a UNet with text_embeds and time_ids inputs, text_encoder_2/ and
// tokenizer_2/) follow StableDiffusionXLPipeline instead in steps 1–2 and 4: both
// tokenizers, the penultimate hidden states of both encoders concatenated, the pooled
// text_embeds of text_encoder_2, zeroed negatives when there are no negative prompts and
// force_zeros_for_empty_prompt is set, and time_ids (H, W, 0, 0, H, W); see sdxl.go.
//
// Every UNet call goes through one place that lets callers take part: a
// [Request.BeforeUNet] hook sees (and may add to) the feeds, [Request.AfterStep] sees
// each step's results (the pipeline prints nothing: progress is the caller's), and
// [Request.UNet] and [Request.UNetForStep] say which UNet runs, which is how ToMe and a
// merge-ratio schedule take part. [Pipeline.PrepareUNet] patches the UNet with
// tome.Patch for one setting and image size and returns it to the caller, who runs it in
// as many requests as it likes and closes it; when the patched graph takes random
// partitions (inputs tome_rand_idx_<k>), Generate draws them fresh for every UNet call
// from a tome.Partitioner seeded by the request's seed. A [Result] carries the number of
// UNet calls and their wall time beside Generate's own, the figures seconds per image
// are computed from.
//
// Generate and PrepareUNet take a context, checked before every UNet call (and between
// the stages of a patch): once it is done they return an error wrapping ctx.Err(), so
// errors.Is(err, context.Canceled) tells an interrupted run.
//
// Problems with the folder or the models come back as a *[FolderError] naming the file or
// part that is wrong. Mistakes in a Request (no prompts, a negative-prompt count that is
// not the prompt count, negative steps, a wrong latent count, a size the model cannot
// take, a UNet from another pipeline or already closed) come back as errors with a
// "pipeline: " prefix; the package does not panic on its callers' input.
package pipeline
