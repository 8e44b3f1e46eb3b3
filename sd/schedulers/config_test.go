package schedulers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifestConfigs builds each fixture run from the resolved config diffusers
// recorded (manifest runs.*.config, with _use_default_values and _class_name
// PNDMScheduler even for DDIM and Euler) and checks timesteps and init_noise_sigma.
func TestManifestConfigs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	var m struct {
		Runs map[string]struct {
			Class          string          `json:"class"`
			Config         json.RawMessage `json:"config"`
			Steps          int             `json:"num_inference_steps"`
			InitNoiseSigma float64         `json:"init_noise_sigma"`
			Timesteps      []float64       `json:"timesteps_list"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 6 {
		t.Fatalf("manifest has %d runs, want 6", len(m.Runs))
	}
	for name, r := range m.Runs {
		cfg, err := ParseConfig(r.Config)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s, err := NewAs(r.Class, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.SetTimesteps(r.Steps)
		if got, want := fmt.Sprint(s.Timesteps()), fmt.Sprint(r.Timesteps); got != want {
			t.Errorf("%s: timesteps\n got %s\nwant %s", name, got, want)
		}
		if got := s.InitNoiseSigma(); got != float64(float32(r.InitNoiseSigma)) {
			t.Errorf("%s: init_noise_sigma %v, want %v", name, got, r.InitNoiseSigma)
		}
	}
}

// TestSpacing checks the three timestep spacings for T=1000, 10 steps against table 2 of
// Lin et al. 2023 ("Common Diffusion Noise Schedules and Sample Steps are Flawed"),
// shifted to diffusers' 0-based timesteps.
func TestSpacing(t *testing.T) {
	cases := []struct {
		class, spacing string
		offset         int
		want           string
	}{
		{ClassDDIM, "linspace", 0, "[999 888 777 666 555 444 333 222 111 0]"},
		{ClassDDIM, "leading", 1, "[901 801 701 601 501 401 301 201 101 1]"},
		{ClassDDIM, "trailing", 0, "[999 899 799 699 599 499 399 299 199 99]"},
		{ClassPNDM, "trailing", 0, "[999 899 899 799 699 599 499 399 299 199 99]"},
		{ClassEuler, "leading", 1, "[901 801 701 601 501 401 301 201 101 1]"},
		{ClassEuler, "trailing", 0, "[999 899 799 699 599 499 399 299 199 99]"},
	}
	for _, c := range cases {
		cfg := Config{NumTrainTimesteps: 1000, BetaStart: 0.00085, BetaEnd: 0.012, BetaSchedule: "scaled_linear",
			SkipPRKSteps: true, TimestepSpacing: c.spacing, StepsOffset: c.offset}
		s, err := NewAs(c.class, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.SetTimesteps(10)
		if got := fmt.Sprint(s.Timesteps()); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.class, c.spacing, got, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "scheduler_config.json")
	if err := os.WriteFile(bad, []byte(`{"_class_name": "PNDMScheduler", "beta_start": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(bad)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadConfig(bad JSON) = %v, want a *ConfigError naming the file", err)
	}

	cases := []struct {
		json, class, wantMsg string
	}{
		{`{"_class_name": "LMSDiscreteScheduler"}`, "", `"LMSDiscreteScheduler" is not implemented`},
		{`{}`, "", "no _class_name"},
		{`{"_class_name": "PNDMScheduler"}`, "", "skip_prk_steps=false"},
		{`{"skip_prk_steps": true, "beta_schedule": "sigmoid"}`, ClassPNDM, `beta_schedule "sigmoid"`},
		{`{"prediction_type": "sample"}`, ClassEuler, `prediction_type "sample"`},
		{`{"use_karras_sigmas": true}`, ClassEuler, "use_karras_sigmas"},
		{`{"thresholding": true}`, ClassDDIM, "thresholding"},
		{`{"timestep_spacing": "uniform"}`, ClassDDIM, `timestep_spacing "uniform"`},
		{`{"num_train_timesteps": 1}`, ClassDDIM, "num_train_timesteps 1"},
		{`{"num_train_timesteps": 3, "trained_betas": [0.1, 0.2]}`, ClassDDIM, "trained_betas has 2 values"},
	}
	for _, c := range cases {
		cfg, err := ParseConfig([]byte(c.json))
		if err == nil {
			if c.class == "" {
				_, err = New(cfg)
			} else {
				_, err = NewAs(c.class, cfg)
			}
		}
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.wantMsg) {
			t.Errorf("%s as %q: error %v, want a *ConfigError containing %q", c.json, c.class, err, c.wantMsg)
		}
	}
}

func TestStepPanicsOnMisuse(t *testing.T) {
	cfg := sd15Config(t)
	e, err := NewEuler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.SetTimesteps(10)
	for name, f := range map[string]func(){
		"timestep not in schedule": func() { e.Step([]float32{0}, 500.5, []float32{0}) },
		"length mismatch":          func() { e.Step([]float32{0, 1}, 999, []float32{0}) },
		"zero steps":               func() { e.SetTimesteps(0) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "schedulers: ") {
					t.Errorf("%s: panic %v, want one prefixed \"schedulers: \"", name, r)
				}
			}()
			f()
		}()
	}
}

// FuzzParseConfig: any input gives a config or an error, never a panic; accepted
// configs build schedulers or return *ConfigError.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(sd15JSON))
	f.Add([]byte(`{"_class_name": "DDIMScheduler", "timestep_spacing": "trailing", "_use_default_values": ["x"]}`))
	f.Add([]byte(`{"num_train_timesteps": 4, "trained_betas": [0.1, 0.2, 0.3, 0.4]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			return
		}
		if cfg.NumTrainTimesteps > 100000 {
			return // valid but too slow to build in a fuzz loop
		}
		for _, class := range []string{ClassPNDM, ClassDDIM, ClassEuler} {
			if _, err := NewAs(class, cfg); err != nil {
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("%s: untyped error %v", class, err)
				}
			}
		}
	})
}
