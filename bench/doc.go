// Package bench measures what Token Merging buys on one Stable Diffusion UNet: the time
// of one UNet call and the memory it needs, per merge ratio, on any architecture, even
// with random weights (speed and memory do not depend on the weights' values).
//
// The steps (Run):
//
//  1. Model: --model's ONNX UNet (or a diffusers folder, converted once), or --arch's
//     seeded random-weight UNet, built once and cached under
//     ~/.cache/tomebench/bench (models.SynthUNet).
//  2. Time: every measurement is one child process (the hidden `__bench` command)
//     that opens the UNet — patched in memory by tome.Patch for a ratio above 0 —
//     runs one untimed warm-up call and then one timed call with fresh random
//     partitions, as the pipeline feeds them. Rounds run every ratio once, in an
//     order rotated per round, so machine drift hits all ratios alike; a ratio's time
//     is the median over rounds and its speed-up the median of the per-round ratios
//     t(0)/t(r), so each speed-up compares calls measured minutes apart at most.
//  3. ToMe's share: one more child per ratio opens the session with ONNX Runtime's
//     profiler on; after the warm-up it runs one profiled call, and the share is the
//     kernel time of the nodes ToMe inserted (scope ".../tome/") over the kernel time
//     of all nodes of that call. The profiled call's own time is not used.
//  4. Memory (a): the child's peak resident memory (VmHWM) minus the weights' bytes is
//     the activation memory (with ONNX Runtime's working buffers, allocator slack
//     and the runtime itself), divided by the images per call (batch / 2: classifier-
//     free guidance runs each image twice).
//  5. Memory (b), with a memory limit: the paper's way. Children run one call at
//     growing batches under the limit (CUDA: the provider's gpu_mem_limit, a call
//     that needs more fails; CPU: the child's peak RSS, weights included, must stay
//     under the limit, because the CPU arena's max_mem does not hold in ONNX Runtime
//     1.29) until a call does not fit; GB/im = limit / most images that fit.
//
// Options.ToDoFactors and Options.AgentSD add rows of the other patch-level methods
// (todo.Patch, agentsd.Patch with its partitions fed per call as ToMe's), measured
// exactly like the ratio rows in steps 2–5; their share in step 3 is that of their
// own nodes (IsMethodNode). Each Row says its Method and Label.
//
// Results are a Result (JSON) and a Markdown table (Markdown).
package bench
