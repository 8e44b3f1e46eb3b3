package schedulers

import "fmt"

// AddNoise is the scheduler's add_noise(original, noise, t) as diffusers v0.19.3 computes
// it for img2img, in float32:
//
//	PNDM, DDIM  sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε      (ᾱ = alphas_cumprod, t an integer)
//	Euler       x0 + σ_t·ε                         (σ of the timestep t in Timesteps,
//	                                               after SetTimesteps)
//
// It returns a new slice; the arguments must have equal lengths.
func AddNoise(s Scheduler, original, noise []float32, t float64) ([]float32, error) {
	if len(original) != len(noise) {
		return nil, fmt.Errorf("schedulers: AddNoise: %d values and %d noise values", len(original), len(noise))
	}
	out := make([]float32, len(original))
	var ac []float32
	switch s := s.(type) {
	case *PNDM:
		ac = s.sched.alphasCumprod
	case *DDIM:
		ac = s.sched.alphasCumprod
	case *Euler:
		idx := -1
		for i, v := range s.timesteps {
			if v == t {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("schedulers: AddNoise: timestep %v is not one of the Euler scheduler's", t)
		}
		sigma := s.sigmas[idx]
		for i, x := range original {
			out[i] = x + float32(noise[i]*sigma)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("schedulers: AddNoise: scheduler %T not supported", s)
	}
	ti := int(t)
	if float64(ti) != t || ti < 0 || ti >= len(ac) {
		return nil, fmt.Errorf("schedulers: AddNoise: timestep %v is not an integer in [0, %d)", t, len(ac))
	}
	a := sqrt32(ac[ti])
	b := sqrt32(1 - ac[ti])
	for i, x := range original {
		out[i] = float32(a*x) + float32(b*noise[i])
	}
	return out, nil
}
