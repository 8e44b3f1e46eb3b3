// Package todo is ToDo, token downsampling for efficient generation of
// high-resolution images (Smith, Saxena, Saha 2024, arXiv 2402.13573), as a graph
// rewrite of ONNX Stable Diffusion UNets. It matches the reference
// (ethansmith2000/ImprovedTokenMerge, merge.py and utils.py) and the A1111 port
// (feffy380/sd-webui-token-downsampling) number for number on the fixtures.
//
// Self-attention in a transformer block at full resolution costs O(N²) for N tokens.
// ToDo keeps every query and takes the keys and values from a downsampled copy of
// the token grid:
//
//	y   = norm1(x)                          [B, N, C],  N = h·w
//	y'  = nearest(y, h/f × w/f)             [B, N', C], N' = ⌊h/f⌋·⌊w/f⌋
//	out = softmax(y Wq (y' Wk)ᵀ / √d) y' Wv [B, N, C]
//
// so the attention matrix shrinks from N×N to N×N' (f = 2: a quarter). Queries keep
// all N tokens, so nothing is unmerged; cross-attention, the MLP and the resnets are
// untouched. Because the nearest modes select tokens (no averaging), y' is a fixed
// Gather of y along the token axis: the rewrite inserts one Gather with a constant
// index list ([KeptTokens]) in front of to_k and to_v.
//
// Steps, per transformer block (diffusers' BasicTransformerBlock) of the UNet:
//
//  1. Depth. With the latent H×W, the block works at d = ceil(sqrt(H·W // N))
//     (tomesd's downsample). Depth 1 uses Options.Factor (upstream
//     downsample_factor), deeper levels up to MaxDownsample use Factor2 (upstream
//     downsample_factor_level_2). Upstream keys the two levels on channel width
//     (320 → level 1, 640 → level 2), which is depth 1 and 2 on SD 1.x/2.x; we key
//     on depth, as the comfy-todo and A1111 ports do, so any width works.
//  2. Grid. cur = ceil(H/d) × ceil(W/d) (the A1111 port's ceil: upstream floors and
//     its reshape fails on odd latent sides at depth 2, e.g. 33×33); new = int(cur/f)
//     per side (f may be fractional). Nothing is padded or cropped.
//  3. Interpolation, per axis with s = float32(in/out) ([SourceIndex]):
//     nearest-exact (upstream's default): src = min(⌊(dst+0.5)·s⌋, in−1), at f = 2
//     rows 1, 3, 5, … (the bottom-right token of each 2×2 cell);
//     nearest (the HF demo and comfy-todo): src = min(⌊dst·s⌋, in−1), rows 0, 2, 4, ….
//     At f = 3 on 32 rows: 10 rows kept, 1, 4, 8, 11, … (uneven spacing).
//
// # The timestep switch
//
// Upstream downsamples only while t/1000 > timestep_threshold_switch (0.2 by
// default) and below that switches to tomesd-style similarity merging of K/V. The
// ports (A1111, comfy-todo, the HF demo) turn the switch off. So does this package by
// default (Options.TimestepSwitch 0: downsample at every step). With TimestepSwitch
// s > 0 the patched graph reads its timestep input and downsamples only while
// t/1000 > s; below it attention sees all tokens (upstream's secondary similarity
// merge is not ported). The choice is an If node per block selecting the index list.
//
// [Patch] rewrites a UNet in place and [Inspect] reports what it would do; both
// return a [Report] with the same shape as tome.Report. The patched model records
// the method and settings in its metadata_props (methods.MetadataKey).
package todo
