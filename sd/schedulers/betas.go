package schedulers

import (
	"fmt"
	"math"
)

// A schedule is what every scheduler derives from its config: betas and the cumulative
// alpha products, float32 as diffusers holds them.
type schedule struct {
	betas         []float32
	alphasCumprod []float32
}

// newSchedule computes betas and alphas_cumprod like diffusers' scheduler __init__:
// betas = torch.linspace(...) (squared for scaled_linear), alphas_cumprod =
// torch.cumprod(1 - betas).
func newSchedule(c Config) (schedule, error) {
	n := c.NumTrainTimesteps
	var betas []float32
	switch {
	case c.TrainedBetas != nil:
		betas = make([]float32, n)
		for i, b := range c.TrainedBetas {
			betas[i] = float32(b)
		}
	case c.BetaSchedule == "linear":
		betas = torchLinspace32(float32(c.BetaStart), float32(c.BetaEnd), n)
	case c.BetaSchedule == "scaled_linear":
		betas = torchLinspace32(float32(math.Pow(c.BetaStart, 0.5)), float32(math.Pow(c.BetaEnd, 0.5)), n)
		for i, b := range betas {
			betas[i] = b * b
		}
	case c.BetaSchedule == "squaredcos_cap_v2":
		betas = betasForAlphaBar(n, 0.999)
	default:
		return schedule{}, &ConfigError{Msg: fmt.Sprintf("beta_schedule %q is not implemented", c.BetaSchedule)}
	}
	return schedule{betas: betas, alphasCumprod: cumprodAlphas(betas)}, nil
}

// cumprodAlphas is torch.cumprod(1 - betas) for float32 on CPU: the running product is
// kept in float64 (PyTorch's accumulate type) and each prefix is rounded to float32.
func cumprodAlphas(betas []float32) []float32 {
	out := make([]float32, len(betas))
	acc := 1.0
	for i, b := range betas {
		acc *= float64(1 - b)
		out[i] = float32(acc)
	}
	return out
}

// torchLinspace32 is torch.linspace(start, end, n, dtype=torch.float32) as PyTorch's
// AVX2 CPU kernel computes it: step = (end-start)/(n-1) in float32; values are made in
// pairs of 8-lane vectors whose base is start + step*idx (first half) or
// end - step*(n-1-idx) (second half, judged at the vector's first index), evaluated as a
// fused multiply-add, then base + k*step per lane; the tail after the last full pair of
// vectors is computed per element like a base. This matches diffusers' betas bit for bit
// (see TestBetasMatchTorch).
func torchLinspace32(start, end float32, n int) []float32 {
	out := make([]float32, n)
	if n == 1 {
		out[0] = start
		return out
	}
	step := (end - start) / float32(n-1)
	half := n / 2
	base := func(i int) float32 {
		if i < half {
			return fma32(step, float32(i), start)
		}
		return fma32(-step, float32(n-1-i), end)
	}
	const lanes = 8
	i := 0
	for ; i+2*lanes <= n; i += 2 * lanes {
		for v := i; v < i+2*lanes; v += lanes {
			b := base(v)
			for k := 0; k < lanes; k++ {
				out[v+k] = b + float32(k)*step
			}
		}
	}
	for ; i < n; i++ {
		out[i] = base(i)
	}
	return out
}

// fma32 is a*b + c rounded once to float32 (a*b is exact in float64).
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// betasForAlphaBar is diffusers' betas_for_alpha_bar (cosine schedule), computed in
// float64 and stored as float32.
func betasForAlphaBar(n int, maxBeta float64) []float32 {
	alphaBar := func(t float64) float64 {
		c := math.Cos((t + 0.008) / 1.008 * math.Pi / 2)
		return c * c
	}
	out := make([]float32, n)
	for i := range out {
		t1 := float64(i) / float64(n)
		t2 := float64(i+1) / float64(n)
		out[i] = float32(math.Min(1-alphaBar(t2)/alphaBar(t1), maxBeta))
	}
	return out
}

// sqrt32 is torch's x ** 0.5 on a float32 scalar (correctly rounded square root).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
