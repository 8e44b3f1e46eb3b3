// Package clipscore computes the CLIP score of images against their prompts exactly as
// torchmetrics (v1.4, clip_score / CLIPScore) does with a transformers CLIPModel, but
// on ONNX Runtime and from the user's own weights; nothing is downloaded.
//
// The pipeline, one step per file:
//
//  1. Open (model.go) reads a CLIPModel folder or Hugging Face cache repo id
//     (config.go: config.json, also openai's *_config_dict layout, and
//     preprocessor_config.json in both of its layouts; weights.go: model.safetensors or
//     pytorch_model.bin; the tokenizer files) and builds the vision tower with
//     visual_projection and the text tower with text_projection as ONNX graphs
//     (graph.go), opened once.
//  2. Images are RGB uint8 (image.go). Float images become uint8 as the processor makes
//     them: x·255 in float32, then truncated; integer images are cast.
//  3. Preprocess (preprocess.go, resize.go) is CLIPImageProcessor bit for bit: the
//     short side to 224 with Pillow 9.4's BICUBIC on uint8 (antialiased, horizontal pass
//     first, 8-bit intermediate, 22-bit fixed-point weights), centre crop, then
//     (u·(1/255) − mean)/std with each operation in float32.
//  4. Prompts (text.go) are tokenised with the project's CLIP tokenizer (sd/clip),
//     padded to the longest row and, when wider than 77, sliced to 77 as torchmetrics
//     does. A sliced row has lost its end token, so it pools at the start token: every
//     caption over 76 BPE tokens gets the same text embedding. This is reproduced for
//     comparability and reported in Result.Warnings, since such pairs say nothing
//     about the caption.
//  5. The score (score.go) is 100·cos(image, text) per pair, the mean over pairs, and
//     max(mean, 0): the clamp is on the mean, not on each pair (torchmetrics' code, not
//     its docstring). The model's logit_scale is not used.
//
// A runner opens a Model once and calls ScoreFiles (or Score on decoded images) with
// its (image, prompt) pairs; Result carries the per-pair scores and the clamped mean.
package clipscore
