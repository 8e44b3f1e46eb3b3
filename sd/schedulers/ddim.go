package schedulers

import "fmt"

// DDIM is diffusers' DDIMScheduler with eta = 0 (deterministic DDIM, Song et al. 2021):
//
//	x0   = (x − sqrt(1−ᾱ_t)·ε) / sqrt(ᾱ_t)
//	x_prev = sqrt(ᾱ_prev)·x0 + sqrt(1−ᾱ_prev)·ε
//
// with ᾱ_prev taken at t − T/n (or the final alpha product past 0).
type DDIM struct {
	cfg       Config
	sched     schedule
	final     float32
	clip      bool
	clipRange float32

	numSteps  int
	timesteps []float64
}

// NewDDIM builds a DDIM scheduler. Class defaults: set_alpha_to_one true, clip_sample
// true (range 1), timestep_spacing leading. Dynamic thresholding is refused.
func NewDDIM(cfg Config) (*DDIM, error) {
	if cfg.Thresholding {
		return nil, &ConfigError{Msg: "DDIMScheduler with thresholding=true is not implemented"}
	}
	s, err := checkedSchedule(cfg, ClassDDIM, cfg.spacingOr("leading"), true)
	if err != nil {
		return nil, err
	}
	d := &DDIM{cfg: cfg, sched: s, final: s.alphasCumprod[0], clip: cfg.boolOr(cfg.ClipSample, true), clipRange: 1}
	if cfg.boolOr(cfg.SetAlphaToOne, true) {
		d.final = 1
	}
	if cfg.ClipSampleRange != nil {
		d.clipRange = float32(*cfg.ClipSampleRange)
	}
	return d, nil
}

// SetTimesteps implements Scheduler.
func (d *DDIM) SetTimesteps(n int) {
	d.timesteps = reversed(stepTimesteps(d.cfg, d.cfg.spacingOr("leading"), n, true))
	d.numSteps = n
}

// Timesteps implements Scheduler.
func (d *DDIM) Timesteps() []float64 { return d.timesteps }

// InitNoiseSigma implements Scheduler: 1.
func (d *DDIM) InitNoiseSigma() float64 { return 1 }

// ScaleModelInput implements Scheduler: DDIM does not scale its input.
func (d *DDIM) ScaleModelInput(x []float32, t float64) []float32 { return x }

// Config implements Scheduler.
func (d *DDIM) Config() Config { return d.cfg }

// FinalAlphaCumprod is the alpha product used for the step past timestep 0:
// 1 with set_alpha_to_one, else alphas_cumprod[0].
func (d *DDIM) FinalAlphaCumprod() float32 { return d.final }

// Step implements Scheduler.
func (d *DDIM) Step(modelOutput []float32, t float64, sample []float32) []float32 {
	prev, _ := d.StepWithPrediction(modelOutput, t, sample)
	return prev
}

// StepWithPrediction is Step that also returns the predicted clean sample x0
// (diffusers' pred_original_sample), after clipping when clip_sample is set.
func (d *DDIM) StepWithPrediction(modelOutput []float32, t float64, sample []float32) (prevSample, predOriginal []float32) {
	if d.numSteps == 0 {
		panic("schedulers: DDIM.Step before SetTimesteps")
	}
	checkLens("DDIM.Step", modelOutput, sample)
	timestep := int(t)
	if float64(timestep) != t || timestep < 0 || timestep >= d.cfg.NumTrainTimesteps {
		panic(fmt.Sprintf("schedulers: DDIM.Step: timestep %v is not an integer in [0, %d)", t, d.cfg.NumTrainTimesteps))
	}
	prev := timestep - d.cfg.NumTrainTimesteps/d.numSteps
	at := d.sched.alphasCumprod[timestep]
	aPrev := d.final
	if prev >= 0 {
		aPrev = d.sched.alphasCumprod[prev]
	}
	bt := 1 - at
	sa, sb := sqrt32(at), sqrt32(bt)

	x0 := make([]float32, len(sample))
	eps := make([]float32, len(sample))
	for i, m := range modelOutput {
		x := sample[i]
		if d.cfg.predictionType() == "v_prediction" {
			x0[i] = float32(sa*x) - float32(sb*m)
			eps[i] = float32(sa*m) + float32(sb*x)
		} else {
			x0[i] = (x - float32(sb*m)) / sa
			eps[i] = m
		}
		if d.clip {
			x0[i] = min(max(x0[i], -d.clipRange), d.clipRange)
		}
	}
	// eta = 0: std_dev_t = 0, so the direction coefficient is sqrt(1 - ᾱ_prev - 0).
	dirCoeff := sqrt32(1 - aPrev - 0)
	sPrev := sqrt32(aPrev)
	out := make([]float32, len(sample))
	for i := range out {
		out[i] = float32(sPrev*x0[i]) + float32(dirCoeff*eps[i])
	}
	return out, x0
}
