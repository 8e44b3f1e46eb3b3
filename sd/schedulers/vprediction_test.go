package schedulers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVPrediction checks the v-prediction branches (SD 2.x 768) by a property, since the
// fixtures only cover epsilon: with x_t = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε and the exact
// v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0, each scheduler must predict x0 (DDIM, Euler) or step
// exactly as its epsilon version fed the true ε (PNDM), to float32 rounding.
func TestVPrediction(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 64
	x0, eps := make([]float32, n), make([]float32, n)
	for i := range x0 {
		x0[i], eps[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	base := sd15Config(t)
	vcfg := base
	vcfg.PredictionType = "v_prediction"
	const tol = 1e-5

	for _, class := range []string{ClassDDIM, ClassEuler, ClassPNDM} {
		sv, err := NewAs(class, vcfg)
		if err != nil {
			t.Fatal(err)
		}
		se, _ := NewAs(class, base)
		sv.SetTimesteps(20)
		se.SetTimesteps(20)
		tt := sv.Timesteps()[3]
		ab := alphaBarAt(t, sv, tt, 3)
		sa, sb := math.Sqrt(ab), math.Sqrt(1-ab)
		xt, v := make([]float32, n), make([]float32, n)
		for i := range xt {
			xt[i] = float32(sa*float64(x0[i]) + sb*float64(eps[i]))
			v[i] = float32(sa*float64(eps[i]) - sb*float64(x0[i]))
		}
		var got, want []float32
		switch s := sv.(type) {
		case *DDIM:
			_, got = s.StepWithPrediction(v, tt, xt)
			want = x0
		case *Euler:
			// Euler's latents live in sigma space: x = x_t / sqrt(ᾱ) = x0 + σ·ε.
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = float32(float64(xt[i]) / sa)
			}
			_, got = s.StepWithPrediction(v, tt, xs)
			want = x0
		case *PNDM:
			got = s.Step(v, tt, xt)
			want = se.Step(eps, tt, xt)
		}
		if r := maxRelErr(got, want, 1); r > tol {
			t.Errorf("%s: v-prediction max err %.3g > %g", class, r, tol)
		}
	}
}

// alphaBarAt is ᾱ at timestep t (index i in the schedule): from the schedule for the
// integral schedulers, from σ for Euler (ᾱ = 1/(σ²+1)).
func alphaBarAt(t *testing.T, s Scheduler, ts float64, i int) float64 {
	switch s := s.(type) {
	case *DDIM:
		return float64(s.sched.alphasCumprod[int(ts)])
	case *PNDM:
		return float64(s.sched.alphasCumprod[int(ts)])
	case *Euler:
		sig := float64(s.Sigmas()[i])
		return 1 / (sig*sig + 1)
	}
	t.Fatalf("unknown scheduler %T", s)
	return 0
}
