// Package models builds the ONNX graphs of Stable Diffusion's networks from diffusers
// folders, in Go: UNet2DConditionModel (SD 1.x and 2.x configs), transformers'
// CLIPTextModel and AutoencoderKL's decoder. It also writes diffusers folders of known
// architectures with seeded random weights (Synth) and converts whole pipeline folders to
// the ONNX layout optimum uses (Convert).
//
// # Graphs like torch's exports
//
// Every node is named as torch.onnx.export names it for the diffusers module that
// computes it ("/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul"),
// and each BasicTransformerBlock has the exported structure norm1 → attn1 → residual
// Add, norm2 → attn2 → Add, norm3 → ff → Add, so tome.Patch finds and patches built
// UNets exactly as it patches exports (tested against tomesd's goldens). Differences
// from an export, none of which change a value:
//
//   - reshapes use constant shapes with 0 and −1 instead of Shape/Gather/Concat chains,
//     and attention keeps heads as a 4-D axis ([B, heads, N, d]) instead of folding
//     them into the batch; token counts stay dynamic, as ToMe needs;
//   - baddbmm's zero "beta" term and divisions by rescale_output_factor = 1 are left out;
//   - at opset ≥ 17 (DefaultOpset) LayerNorm is one LayerNormalization node; at 14–16 it
//     is torch's decomposition;
//   - GroupNorm is torch's form: Reshape [B, G, −1], InstanceNormalization, Reshape,
//     Mul, Add (ONNX's GroupNormalization-18 takes per-group affine parameters, so it
//     cannot express torch's per-channel ones).
//
// # Inputs and outputs
//
//	UNet          sample [B,4,H,W], timestep [B] float32 (int64 with TimestepInt64; a
//	              single value is broadcast), encoder_hidden_states [B,S,D] → out_sample
//	text encoder  input_ids [B,S] int32 (int64 with InputIDsInt64), S ≤ 77 →
//	              last_hidden_state [B,S,C], pooler_output [B,C]
//	VAE decoder   latent_sample [B,4,H,W] (already divided by scaling_factor) →
//	              sample [B,3,8H,8W]
//
// B is always symbolic; H and W are fixed by Options.Height/Width or symbolic.
//
// # SDXL
//
// The same builders take SDXL's configs (unet_sdxl.go, clip_text_projection.go,
// convert_sdxl.go): transformer_layers_per_block (several BasicTransformerBlocks per
// attention module), per-level heads and linear projections were already config-driven;
// addition_embed_type "text_time" adds the inputs text_embeds [B,P] and time_ids [B,6]
// (float32), embedded as add_time_proj (sinusoids of each id, float32) → concat with
// text_embeds → add_embedding, added to the timestep embedding. A
// CLIPTextModelWithProjection (text_encoder_2) also outputs text_embeds [B,P] (the
// pooled state through text_projection) and, like any text encoder built with
// Options.HiddenStates, hidden_states.0 … hidden_states.<layers> (SDXL conditions on the
// penultimate). The VAE is AutoencoderKL with scaling_factor 0.13025; force_upcast
// means, for us, that an fp16 conversion of an SDXL folder keeps the VAE decoder in
// float32 (StableDiffusionXLPipeline upcasts a float16 VAE when it is set, because
// SDXL's VAE overflows in float16); in float32 it changes nothing.
//
// # Weights
//
// Initializers carry state_dict keys: convolutions, biases and embeddings unchanged,
// GroupNorm affine parameters under their key with dims [C,1,1] (same data), and
// Linear weights transposed for MatMul under key + ".T" (torch's exports store the same
// data as anonymous onnx::MatMul_N). Build keeps weights inline; Write streams them into
// weights.pb beside model.onnx (always for a UNet, and for any model over 1 GiB) while
// the graph is built, so converting SD 1.5 needs memory for one tensor, not 3.4 GB.
//
// # Float16
//
// With Options.Float16 weights are stored as float16 and the graph computes in float16,
// except where torch computes in float32 too or where float16 would lose the result:
// the timestep embedding (sin/cos of t·freq), GroupNorm's statistics
// (InstanceNormalization between Casts), decomposed LayerNorm, attention scores and
// softmax when upcast_attention is set, and the VAE's attention (upcast_softmax).
// Inputs and outputs are float16 (as diffusers' fp16 export) unless Float32IO. ONNX
// Runtime's CPU provider lacks float16 kernels for several of the remaining ops; it
// inserts Casts around them itself (its InsertCastTransformer), so fp16 graphs run on
// the CPU, slowly, and at full speed on GPUs. The tiny UNet's fp16 graph is within
// 2.2e-3 of torch's fp32 output.
//
// # Random weights
//
// Synth writes the tiny, sd15, sd2, tiny-sdxl and sdxl architectures (ArchNames) as diffusers folders
// whose every tensor is drawn from a generator seeded by (seed, key): weights and biases
// uniform in ±1/sqrt(fan_in) as torch initialises them, norm scales 1+0.2·N(0,1) and
// shifts 0.2·N(0,1), embeddings N(0, 0.02²). SynthParams lists each state_dict; its
// counts are the released models' (SD 1.5 UNet 859,520,964 parameters; SDXL base UNet
// 2,567,463,684).
package models
