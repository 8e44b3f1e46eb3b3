package schedulers

import (
	"fmt"
	"math"
)

// Euler is diffusers' EulerDiscreteScheduler (Karras et al. 2022, algorithm 2) with
// s_churn = 0, i.e. the deterministic Euler method on the probability-flow ODE in the
// sigma parametrisation, σ_t = sqrt((1−ᾱ_t)/ᾱ_t):
//
//	input = x / sqrt(σ² + 1);  x0 = x − σ·ε;  x_next = x + (x − x0)/σ · (σ_next − σ)
type Euler struct {
	cfg     Config
	sched   schedule
	spacing string

	timesteps []float64
	sigmas    []float32 // len(timesteps)+1, last 0
}

// NewEuler builds an Euler scheduler. Class defaults: timestep_spacing linspace,
// interpolation_type linear. Karras sigmas and log_linear interpolation are refused.
func NewEuler(cfg Config) (*Euler, error) {
	if cfg.UseKarrasSigmas {
		return nil, &ConfigError{Msg: "EulerDiscreteScheduler with use_karras_sigmas=true is not implemented"}
	}
	if it := cfg.InterpolationType; it != "" && it != "linear" {
		return nil, &ConfigError{Msg: fmt.Sprintf("EulerDiscreteScheduler interpolation_type %q is not implemented (linear)", it)}
	}
	spacing := cfg.spacingOr("linspace")
	s, err := checkedSchedule(cfg, ClassEuler, spacing, false)
	if err != nil {
		return nil, err
	}
	return &Euler{cfg: cfg, sched: s, spacing: spacing}, nil
}

// trainSigmas is ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5 in float32.
func (e *Euler) trainSigmas() []float32 {
	out := make([]float32, len(e.sched.alphasCumprod))
	for i, a := range e.sched.alphasCumprod {
		out[i] = sqrt32((1 - a) / a)
	}
	return out
}

// SetTimesteps implements Scheduler: timesteps by the configured spacing (float64,
// descending), sigmas = np.interp(timesteps, arange(T), train sigmas) in float64, then
// float32 with a final 0 appended.
func (e *Euler) SetTimesteps(n int) {
	e.timesteps = reversed(stepTimesteps(e.cfg, e.spacing, n, false))
	train := e.trainSigmas()
	e.sigmas = make([]float32, n+1)
	for i, t := range e.timesteps {
		e.sigmas[i] = float32(npInterpUnit(t, train))
	}
}

// npInterpUnit is np.interp(x, arange(len(fp)), fp) for one x, evaluated like numpy:
// slope·(x − x_j) + fp[j] in float64, fp[j] itself at grid points, clamped at the ends.
func npInterpUnit(x float64, fp []float32) float64 {
	n := len(fp)
	switch {
	case x <= 0:
		return float64(fp[0])
	case x >= float64(n-1):
		return float64(fp[n-1])
	}
	j := int(math.Floor(x))
	if float64(j) == x {
		return float64(fp[j])
	}
	slope := (float64(fp[j+1]) - float64(fp[j])) / 1.0
	return slope*(x-float64(j)) + float64(fp[j])
}

// Timesteps implements Scheduler.
func (e *Euler) Timesteps() []float64 { return e.timesteps }

// Sigmas returns the noise levels of the timesteps with a final 0 (n+1 values). The
// slice must not be modified.
func (e *Euler) Sigmas() []float32 { return e.sigmas }

// InitNoiseSigma implements Scheduler: the largest sigma for linspace and trailing
// spacing, sqrt(σ_max² + 1) for leading (diffusers' rule), as float32.
func (e *Euler) InitNoiseSigma() float64 {
	if e.sigmas == nil {
		panic("schedulers: Euler.InitNoiseSigma before SetTimesteps")
	}
	m := e.sigmas[0]
	for _, s := range e.sigmas {
		m = max(m, s)
	}
	if e.spacing == "linspace" || e.spacing == "trailing" {
		return float64(m)
	}
	return float64(sqrt32(float32(m*m) + 1))
}

// Config implements Scheduler.
func (e *Euler) Config() Config { return e.cfg }

// index finds t in the timesteps, as diffusers' (timesteps == t).nonzero().item().
func (e *Euler) index(op string, t float64) int {
	if e.timesteps == nil {
		panic("schedulers: Euler." + op + " before SetTimesteps")
	}
	for i, v := range e.timesteps {
		if v == t {
			return i
		}
	}
	panic(fmt.Sprintf("schedulers: Euler.%s: timestep %v is not in the schedule", op, t))
}

// ScaleModelInput implements Scheduler: x / sqrt(σ² + 1), a new slice.
func (e *Euler) ScaleModelInput(x []float32, t float64) []float32 {
	s := e.sigmas[e.index("ScaleModelInput", t)]
	d := sqrt32(float32(s*s) + 1)
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v / d
	}
	return out
}

// Step implements Scheduler.
func (e *Euler) Step(modelOutput []float32, t float64, sample []float32) []float32 {
	prev, _ := e.StepWithPrediction(modelOutput, t, sample)
	return prev
}

// StepWithPrediction is Step that also returns the predicted clean sample x0
// (diffusers' pred_original_sample).
func (e *Euler) StepWithPrediction(modelOutput []float32, t float64, sample []float32) (prevSample, predOriginal []float32) {
	checkLens("Euler.Step", modelOutput, sample)
	i := e.index("Step", t)
	sigma := e.sigmas[i] // sigma_hat = sigma * (gamma + 1) with gamma = 0
	dt := e.sigmas[i+1] - sigma
	x0 := make([]float32, len(sample))
	if e.cfg.predictionType() == "v_prediction" {
		s2 := float32(sigma*sigma) + 1
		c := -sigma / sqrt32(s2)
		for k, m := range modelOutput {
			x0[k] = float32(m*c) + sample[k]/s2
		}
	} else {
		for k, m := range modelOutput {
			x0[k] = sample[k] - float32(sigma*m)
		}
	}
	out := make([]float32, len(sample))
	for k, x := range sample {
		deriv := (x - x0[k]) / sigma
		out[k] = x + float32(deriv*dt)
	}
	return out, x0
}
