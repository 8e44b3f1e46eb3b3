// Package agentsd is AgentSD (Han et al., "Agent Attention: On the Integration of
// Softmax and Linear Attention", ECCV 2024, section on Stable Diffusion), as a graph
// rewrite of ONNX Stable Diffusion UNets. It matches the reference
// (LeapLabTHU/Agent-Attention agentsd/, on CompVis LDM) on the fixtures.
//
// AgentSD is ToMe for SD plus agent tokens. In every transformer block with
// downsample ≤ MaxDownsample, on the block input x [B, N, C]:
//
//  1. Match. tomesd's bipartite soft matching on x (partition into sy×sx cells, one
//     dst per cell, Ns src and Nd dst; cosine scores; src sorted by best score).
//  2. Merge. r = int(N·ratio) src merged (mean) into their dst: X = merge_r(norm1(x))
//     [B, N−r, C], exactly ToMe.
//  3. Agents. From the same matching with agent_r = min(int(N·agent_ratio), Ns):
//     A = merge_agent_r(norm1(x)) [B, N−agent_r, C], the src ranked ≥ agent_r and
//     the dst with the top agent_r src merged in (from the original dst, not X).
//     Agents are used only if (N − agent_r)·2 < N − r ([Options.Agents]).
//  4. Agent attention (attn1), per head with d = C/heads, s = d^−½:
//     q = X Wq, k = X Wk, v = X Wv, a = A Wq                 [N−r, d], a [n_a, d]
//     V_a = softmax(a kᵀ·s) v                                 [n_a, d]
//     O = softmax(q aᵀ·s^k_scale2) V_a + k_shortcut·v          [N−r, d]
//     then to_out (unchanged), unmerge to N tokens and the residual add.
//     Without agents attn1 is plain attention on X: ToMe.
//
// The cost of self-attention drops from (N−r)² to 2·(N−r)·n_a. With sx = sy = 2,
// Ns = 3N/4 so n_a ≥ N/4 and agents need r < N/2: the defaults (ratio 0.5) and the
// README's phase 2 never use them. The README's phase 1 (sx = sy = 4, ratio 0.4,
// agent_ratio 0.95) at a 64×64 latent gives 256 agents for 2458 merged tokens.
// [Phases] gives the README's two-phase schedule as two option sets for two
// patched UNets that a runner switches between at step [PhaseSwitchStep].
//
// Partitions are fed like ToMe's: with UseRand each patched block reads an int64
// input tome_rand_idx_<k> [h/sy, w/sx] (k in patched-block order, named by
// tome.RandInputName), drawn with tome.Partitioner in that order once per UNet call
// (Report.RandInputs and Report.Draws, the same types as tome.Report's). The agent
// tokens come from the same partition: no extra random inputs.
//
// Deviations from upstream: ratio 0 (or any block with r = 0) crashes upstream; here
// such blocks are left unchanged, so ratio 0 is the unpatched model.
// [Patch] rewrites a UNet in place and [Inspect] reports what it would do; the patched
// model records the method and settings in its metadata_props (methods.MetadataKey).
package agentsd
