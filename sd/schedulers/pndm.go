package schedulers

import "fmt"

// PNDM is diffusers' PNDMScheduler with skip_prk_steps = true: the pseudo linear
// multi-step method (PLMS) of Liu et al. 2022, as Stable Diffusion uses it. The first
// step is a plain pseudo-Euler step; the second revisits the first target timestep with
// the average of both model outputs (a Heun-like correction); then Adams–Bashforth
// combinations of the last 2, 3 and finally 4 model outputs (ets) are used.
type PNDM struct {
	cfg   Config
	sched schedule
	final float32 // alpha product before t=0: 1 or alphas_cumprod[0]

	numSteps  int
	timesteps []float64
	ets       [][]float32 // last (up to 4) model outputs
	counter   int
	curSample []float32
}

// NewPNDM builds a PNDM (PLMS) scheduler. skip_prk_steps must be true: the Runge–Kutta
// warm-up of full PNDM is not implemented.
func NewPNDM(cfg Config) (*PNDM, error) {
	if !cfg.SkipPRKSteps {
		return nil, &ConfigError{Msg: "PNDMScheduler with skip_prk_steps=false (Runge-Kutta warm-up) is not implemented"}
	}
	s, err := checkedSchedule(cfg, ClassPNDM, cfg.spacingOr("leading"), true)
	if err != nil {
		return nil, err
	}
	p := &PNDM{cfg: cfg, sched: s, final: s.alphasCumprod[0]}
	if cfg.boolOr(cfg.SetAlphaToOne, false) {
		p.final = 1
	}
	return p, nil
}

// SetTimesteps implements Scheduler. With skip_prk_steps the schedule is
// ts[:-1], ts[-2], ts[-1] reversed: the second-highest timestep appears twice.
func (p *PNDM) SetTimesteps(n int) {
	ts := stepTimesteps(p.cfg, p.cfg.spacingOr("leading"), n, true)
	plms := append(append(append([]float64{}, ts[:n-1]...), ts[max(n-2, 0):n-1]...), ts[n-1])
	p.timesteps = reversed(plms)
	p.numSteps = n
	p.ets = nil
	p.counter = 0
	p.curSample = nil
}

// Timesteps implements Scheduler.
func (p *PNDM) Timesteps() []float64 { return p.timesteps }

// InitNoiseSigma implements Scheduler: 1.
func (p *PNDM) InitNoiseSigma() float64 { return 1 }

// ScaleModelInput implements Scheduler: PNDM does not scale its input.
func (p *PNDM) ScaleModelInput(x []float32, t float64) []float32 { return x }

// Config implements Scheduler.
func (p *PNDM) Config() Config { return p.cfg }

// Step implements Scheduler (diffusers' step_plms).
func (p *PNDM) Step(modelOutput []float32, t float64, sample []float32) []float32 {
	if p.numSteps == 0 {
		panic("schedulers: PNDM.Step before SetTimesteps")
	}
	checkLens("PNDM.Step", modelOutput, sample)
	ratio := p.cfg.NumTrainTimesteps / p.numSteps
	timestep := int(t)
	if float64(timestep) != t {
		panic(fmt.Sprintf("schedulers: PNDM.Step: timestep %v is not an integer", t))
	}
	prev := timestep - ratio
	if p.counter != 1 {
		if len(p.ets) == 4 {
			p.ets = p.ets[1:]
		}
		p.ets = append(p.ets, append([]float32(nil), modelOutput...))
	} else {
		prev = timestep
		timestep += ratio
	}

	e := p.ets
	k := len(e)
	eps := make([]float32, len(modelOutput))
	switch {
	case k == 1 && p.counter == 0:
		copy(eps, modelOutput)
		p.curSample = append([]float32(nil), sample...)
	case k == 1 && p.counter == 1:
		for i, m := range modelOutput {
			eps[i] = (m + e[0][i]) / 2
		}
		sample = p.curSample
		p.curSample = nil
	case k == 2:
		for i := range eps {
			eps[i] = (float32(3*e[1][i]) - e[0][i]) / 2
		}
	case k == 3:
		for i := range eps {
			eps[i] = (float32(23*e[2][i]) - float32(16*e[1][i]) + float32(5*e[0][i])) / 12
		}
	default:
		const c = float32(1.0 / 24)
		for i := range eps {
			eps[i] = c * (float32(55*e[3][i]) - float32(59*e[2][i]) + float32(37*e[1][i]) - float32(9*e[0][i]))
		}
	}
	out := p.prevSample(sample, timestep, prev, eps)
	p.counter++
	return out
}

// prevSample is formula (9) of the PNDM paper (diffusers' _get_prev_sample):
//
//	x_prev = sqrt(ᾱ_prev/ᾱ_t)·x − (ᾱ_prev − ᾱ_t)·ε / (ᾱ_t·sqrt(1−ᾱ_prev) + sqrt(ᾱ_t(1−ᾱ_t)ᾱ_prev))
//
// Products are wrapped in float32() here and elsewhere so that no platform fuses them
// into FMAs (the Go spec allows that otherwise): torch rounds every operation.
func (p *PNDM) prevSample(sample []float32, t, prev int, eps []float32) []float32 {
	ac := p.sched.alphasCumprod
	at := ac[t]
	aPrev := p.final
	if prev >= 0 {
		aPrev = ac[prev]
	}
	bt := 1 - at
	bPrev := 1 - aPrev
	if p.cfg.predictionType() == "v_prediction" {
		sa, sb := sqrt32(at), sqrt32(bt)
		for i := range eps {
			eps[i] = float32(sa*eps[i]) + float32(sb*sample[i])
		}
	}
	sampleCoeff := sqrt32(aPrev / at)
	denom := float32(at*sqrt32(bPrev)) + sqrt32(float32(at*bt)*aPrev)
	diff := aPrev - at
	out := make([]float32, len(sample))
	for i := range out {
		out[i] = float32(sampleCoeff*sample[i]) - float32(diff*eps[i])/denom
	}
	return out
}
