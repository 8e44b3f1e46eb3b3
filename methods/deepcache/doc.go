// Package deepcache is DeepCache (Ma, Fang, Wang 2023, arXiv 2312.00858) for the ONNX
// UNets of sd/pipeline, exactly as the plug-and-play helper DeepCacheSDHelper of
// horseee/DeepCache (1691a3a) decides and computes it.
//
// DeepCache runs the whole UNet every Interval steps ("full" calls) and, in between, a
// "partial" UNet that recomputes only the shallow part of the network and takes the
// deep part's contribution from the last full call. Here that is two graphs cut from
// the folder's UNet (see [Cut]):
//
//  1. the full graph is the UNet with one more output, FeatureName: the cached
//     high-level feature, the tensor that enters the first recomputed up-path resnet
//     beside its skip connection (torch.cat([hidden, skip]) in the up block);
//  2. the partial graph takes that tensor as an input in its place; everything no
//     longer needed to compute the output (the deep down blocks, the mid block, the
//     deep up blocks) is removed. What is left is exactly what the helper computes on a
//     partial call: conv_in, the time embedding, the down path before the branch, the
//     up path after it, conv_out.
//
// The boundary is found by scope names (/up_blocks.<k>/resnets.<j>/...), so it works on
// exported graphs and on graphs built by sd/models alike.
//
// The branch number is the helper's cache_branch_id b: cache_layer_id l = b % 3 and
// cache_block_id i = b / 3 (3 = SD1.5's layers per down block, downsampler included).
// Up block n-1-i (counted from the output side) recomputes its resnets j with
// len(resnets)-1-j <= l, starting at j0 = max(0, len(resnets)-1-l); the cached tensor is
// that resnet's non-skip input. Branch 0 on SD1.5 caches up_blocks.3.attentions.1's
// output and recomputes up_blocks.3.resnets.2 + attentions.2. The DeepCache paper's own
// code and its default (cache_layer_id 0, cache_block_id 0) equal the helper's
// branch 1, not branch 0 (checked bit for bit on the tiny pipeline; see the fixtures'
// methods/deepcache/manifest.json).
//
// The schedule ([Schedule]) is the helper's "uniform" rule: the call at timestep t is
// full iff (cur - start) % Interval == 0, with cur the FIRST index of t in the
// scheduler's timesteps and start that of the first call. PNDM repeats a timestep
// (10 steps: 901, 801, 801, 701, ...), so both calls at 801 have cur = 1: interval 3
// gives FppFppFppFp, interval 2 FpppFpFpFpF (not the loop index's parity).
//
// [Prepare] builds and opens both graphs for one pipeline and image size; [Method.Apply]
// fills a pipeline.Request with the schedule (UNetForStep) and the hooks that keep the
// cache (AfterUNet) and feed it (BeforeUNet).
package deepcache
