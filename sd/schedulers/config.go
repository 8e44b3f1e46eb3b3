package schedulers

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is a diffusers scheduler configuration (scheduler_config.json). Fields left
// out of the file keep the zero value that means "the scheduler class's default":
// an empty string, or a nil pointer where the defaults differ between classes.
type Config struct {
	// ClassName is _class_name: PNDMScheduler, DDIMScheduler or EulerDiscreteScheduler.
	ClassName string `json:"_class_name"`

	// NumTrainTimesteps is num_train_timesteps (default 1000).
	NumTrainTimesteps int `json:"num_train_timesteps"`
	// BetaStart and BetaEnd bound the beta schedule (defaults 0.0001 and 0.02).
	BetaStart float64 `json:"beta_start"`
	BetaEnd   float64 `json:"beta_end"`
	// BetaSchedule is linear (default), scaled_linear or squaredcos_cap_v2.
	BetaSchedule string `json:"beta_schedule"`
	// TrainedBetas, when set, replaces the beta schedule.
	TrainedBetas []float64 `json:"trained_betas"`

	// StepsOffset is added to "leading" timesteps (SD: 1).
	StepsOffset int `json:"steps_offset"`
	// SetAlphaToOne makes the final step's previous alpha product 1 instead of
	// alphas_cumprod[0] (PNDM, DDIM; default false for PNDM, true for DDIM).
	SetAlphaToOne *bool `json:"set_alpha_to_one"`
	// SkipPRKSteps selects PLMS for PNDM; only true is implemented.
	SkipPRKSteps bool `json:"skip_prk_steps"`
	// PredictionType is epsilon (default; SD 1.x) or v_prediction (SD 2.x 768).
	PredictionType string `json:"prediction_type"`
	// TimestepSpacing is leading, linspace or trailing; empty means the class default
	// (leading for PNDM and DDIM, linspace for Euler).
	TimestepSpacing string `json:"timestep_spacing"`

	// ClipSample clamps DDIM's predicted x0 to ±ClipSampleRange (DDIM default true).
	ClipSample      *bool    `json:"clip_sample"`
	ClipSampleRange *float64 `json:"clip_sample_range"`
	// Thresholding (DDIM dynamic thresholding) is not implemented; true is refused.
	Thresholding bool `json:"thresholding"`
	// InterpolationType is Euler's sigma interpolation; only linear is implemented.
	InterpolationType string `json:"interpolation_type"`
	// UseKarrasSigmas is not implemented for Euler; true is refused.
	UseKarrasSigmas bool `json:"use_karras_sigmas"`
}

// ConfigError reports a scheduler configuration that cannot be used.
type ConfigError struct {
	File string // the file read, or "" for in-memory data
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.File == "" {
		return "schedulers: " + e.Msg
	}
	return "schedulers: " + e.File + ": " + e.Msg
}

// ParseConfig decodes a scheduler_config.json document and fills the defaults every
// class shares (num_train_timesteps 1000, betas 0.0001..0.02, linear). Keys it does not
// know (such as _diffusers_version) are ignored, as diffusers ignores them, and keys
// listed in _use_default_values are treated as absent, as diffusers >= 0.19 does (so a
// saved PNDM config does not force its "leading" spacing on Euler).
func ParseConfig(data []byte) (Config, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return Config{}, &ConfigError{Msg: "invalid JSON: " + err.Error()}
	}
	if d, ok := keys["_use_default_values"]; ok {
		var names []string
		if err := json.Unmarshal(d, &names); err != nil {
			return Config{}, &ConfigError{Msg: "_use_default_values: " + err.Error()}
		}
		for _, k := range names {
			delete(keys, k)
		}
		data, _ = json.Marshal(keys) // re-encoding decoded raw messages cannot fail
	}
	var raw struct {
		Config
		NumTrainTimesteps *int     `json:"num_train_timesteps"`
		BetaStart         *float64 `json:"beta_start"`
		BetaEnd           *float64 `json:"beta_end"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Config{}, &ConfigError{Msg: "invalid JSON: " + err.Error()}
	}
	c := raw.Config
	c.NumTrainTimesteps, c.BetaStart, c.BetaEnd = 1000, 0.0001, 0.02
	if raw.NumTrainTimesteps != nil {
		c.NumTrainTimesteps = *raw.NumTrainTimesteps
	}
	if raw.BetaStart != nil {
		c.BetaStart = *raw.BetaStart
	}
	if raw.BetaEnd != nil {
		c.BetaEnd = *raw.BetaEnd
	}
	if c.BetaSchedule == "" {
		c.BetaSchedule = "linear"
	}
	if c.NumTrainTimesteps < 2 {
		return Config{}, &ConfigError{Msg: fmt.Sprintf("num_train_timesteps %d < 2", c.NumTrainTimesteps)}
	}
	if c.TrainedBetas != nil && len(c.TrainedBetas) != c.NumTrainTimesteps {
		return Config{}, &ConfigError{Msg: fmt.Sprintf("trained_betas has %d values, num_train_timesteps is %d",
			len(c.TrainedBetas), c.NumTrainTimesteps)}
	}
	return c, nil
}

// LoadConfig reads and parses a scheduler_config.json file; errors name the file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		err.(*ConfigError).File = path
		return Config{}, err
	}
	return c, nil
}

func (c Config) boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func (c Config) spacingOr(def string) string {
	if c.TimestepSpacing == "" {
		return def
	}
	return c.TimestepSpacing
}

func (c Config) predictionType() string {
	if c.PredictionType == "" {
		return "epsilon"
	}
	return c.PredictionType
}
