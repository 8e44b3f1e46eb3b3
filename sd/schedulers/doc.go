// Package schedulers implements the noise schedulers of diffusers v0.19.3 that Stable
// Diffusion pipelines use, in pure Go and bit-faithful to the Python reference:
//
//   - PNDM with skip_prk_steps (= PLMS, the paper's sampler): [PNDM]
//   - DDIM, deterministic (eta = 0): [DDIM]
//   - Euler (EulerDiscreteScheduler, s_churn = 0): [Euler]
//
// A scheduler is configured from a diffusers scheduler_config.json ([LoadConfig],
// [ParseConfig]) and built with [New], which picks the class by the config's
// _class_name, or with [NewAs] to run a model with another scheduler than the one it
// ships with (as diffusers' Scheduler.from_config(other.config) does: keys the class
// does not know are ignored, keys it knows but the file lacks take the class default).
//
// The sampling loop of a pipeline reads:
//
//	s.SetTimesteps(50)
//	x := noise, each element times float32(s.InitNoiseSigma())
//	for _, t := range s.Timesteps() {
//		in := s.ScaleModelInput(x, t)
//		eps := unet(in, t)            // with classifier-free guidance applied
//		x = s.Step(eps, t, x)
//	}
//
// Numerics. diffusers holds the schedule as float32 torch tensors and steps with float32
// arithmetic; this package does the same, operation by operation, so trajectories agree
// with diffusers to float32 rounding. In detail:
//
//  1. betas are torch.linspace(..., dtype=float32) as PyTorch's AVX2 CPU kernel computes
//     it (8-lane vectors, fused multiply-add for each vector's base), squared in float32
//     for scaled_linear; this reproduces diffusers' betas bit for bit.
//  2. alphas_cumprod is torch.cumprod of float32 (1 - beta), which accumulates in
//     float64 and rounds each prefix product to float32.
//  3. Timesteps are computed like numpy (float64, round half to even); Euler's sigmas
//     are interpolated in float64 by np.interp and rounded to float32.
//  4. Per-step scalar coefficients and all elementwise arithmetic are float32, in the
//     order diffusers writes them.
//
// Scheduler state (PNDM's history of model outputs) lives in the scheduler value: one
// scheduler serves one sampling loop at a time, and SetTimesteps resets it.
package schedulers
