package schedulers

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

// fixtureDir holds diffusers v0.19.3 trajectories (see its manifest.json).
var fixtureDir = filepath.Join("..", "..", "..", "shared", "fixtures", "pipeline", "schedulers")

func readFixture(t *testing.T, name string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture missing (see /work/shared/fixtures/README.md): %v", err)
	}
	return a
}

// sd15JSON is SD 1.5's scheduler_config.json as the fixtures used it (manifest
// "sd15_scheduler_config_used_for_pndm"; no timestep_spacing key, as on the Hub).
const sd15JSON = `{"_class_name": "PNDMScheduler", "beta_start": 0.00085, "beta_end": 0.012,
	"beta_schedule": "scaled_linear", "num_train_timesteps": 1000, "set_alpha_to_one": false,
	"skip_prk_steps": true, "steps_offset": 1, "trained_betas": null, "clip_sample": false}`

func sd15Config(t *testing.T) Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(sd15JSON))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeModel is the fixture's stand-in for the UNet (manifest "fake_model"):
// eps = float32(0.1)*x + float32(0.01*t/1000), float32 elementwise.
func fakeModel(x []float32, t float64) []float32 {
	c := float32(0.01 * t / 1000.0)
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(0.1*v) + c
	}
	return out
}

// maxRelErr is max |got-want| / max(|want|, floor) over the slices.
func maxRelErr(got, want []float32, floor float64) float64 {
	worst := 0.0
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d == 0 {
			continue
		}
		worst = max(worst, d/max(math.Abs(float64(want[i])), floor))
	}
	return worst
}

func TestBetasMatchTorch(t *testing.T) {
	// Expected: betas.npy and alphas_cumprod.npy, diffusers' float32 tensors.
	s, err := newSchedule(sd15Config(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		got  []float32
	}{{"betas.npy", s.betas}, {"alphas_cumprod.npy", s.alphasCumprod}} {
		want := readFixture(t, c.file).F32
		if len(want) != len(c.got) {
			t.Fatalf("%s: %d values, want %d", c.file, len(c.got), len(want))
		}
		diff := 0
		for i := range want {
			if want[i] != c.got[i] {
				diff++
			}
		}
		if diff != 0 {
			t.Errorf("%s: %d of %d values differ in the last bit(s); max rel err %.3g", c.file, diff, len(want), maxRelErr(c.got, want, 0))
		}
	}
}

func TestTrajectories(t *testing.T) {
	xT := readFixture(t, "x_T.npy").F32
	cases := []struct {
		class  string
		prefix string
		steps  int
		tol    float64 // relative to max(|want|, 1e-2); measured: 0 (bit-exact)
	}{
		// Expected: <prefix>_{timesteps,latents,model_inputs,model_outputs,...}.npy,
		// written by diffusers v0.19.3 with the loop in manifest.json.
		{ClassPNDM, "pndm_n50", 50, 1e-6},
		{ClassPNDM, "pndm_n20", 20, 1e-6},
		{ClassDDIM, "ddim_n50", 50, 1e-6},
		{ClassDDIM, "ddim_n20", 20, 1e-6},
		{ClassEuler, "euler_n50", 50, 1e-6},
		{ClassEuler, "euler_n20", 20, 1e-6},
	}
	for _, c := range cases {
		t.Run(c.prefix, func(t *testing.T) {
			s, err := NewAs(c.class, sd15Config(t))
			if err != nil {
				t.Fatal(err)
			}
			s.SetTimesteps(c.steps)
			ts := s.Timesteps()
			wantTs := readFixture(t, c.prefix+"_timesteps.npy").Float64s()
			if fmt.Sprint(ts) != fmt.Sprint(wantTs) {
				t.Fatalf("timesteps\n got %v\nwant %v", ts, wantTs)
			}
			if e, ok := s.(*Euler); ok {
				want := readFixture(t, c.prefix+"_sigmas.npy").F32
				if r := maxRelErr(e.Sigmas(), want, 0); r != 0 {
					t.Errorf("sigmas: max rel err %.3g, want bit-exact", r)
				}
			}
			latents := readFixture(t, c.prefix+"_latents.npy")
			inputs := readFixture(t, c.prefix+"_model_inputs.npy")
			outputs := readFixture(t, c.prefix+"_model_outputs.npy")
			var preds *npy.Array
			if c.class != ClassPNDM {
				preds = readFixture(t, c.prefix+"_pred_original_sample.npy")
			}
			n := len(xT)
			row := func(a *npy.Array, i int) []float32 { return a.F32[i*n : (i+1)*n] }

			sigma := float32(s.InitNoiseSigma())
			x := make([]float32, n)
			for i, v := range xT {
				x[i] = v * sigma
			}
			worst := maxRelErr(x, row(latents, 0), 1e-2)
			for i, tt := range ts {
				in := s.ScaleModelInput(x, tt)
				worst = max(worst, maxRelErr(in, row(inputs, i), 1e-2))
				eps := fakeModel(in, tt)
				worst = max(worst, maxRelErr(eps, row(outputs, i), 1e-2))
				var pred []float32
				switch s := s.(type) {
				case *DDIM:
					x, pred = s.StepWithPrediction(eps, tt, x)
				case *Euler:
					x, pred = s.StepWithPrediction(eps, tt, x)
				default:
					x = s.Step(eps, tt, x)
				}
				if pred != nil {
					worst = max(worst, maxRelErr(pred, row(preds, i), 1e-2))
				}
				if r := maxRelErr(x, row(latents, i+1), 1e-2); r > c.tol {
					t.Fatalf("step %d (t=%v): latent max rel err %.3g > %.0e", i, tt, r, c.tol)
				} else {
					worst = max(worst, r)
				}
			}
			if worst > c.tol {
				t.Errorf("max rel err over the trajectory %.3g > %.0e", worst, c.tol)
			}
			t.Logf("%d steps, max rel err over every input, output, x0 and latent: %.3g", len(ts), worst)
		})
	}
}
