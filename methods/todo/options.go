package todo

import (
	"fmt"
	"math"
)

// Interpolation modes of F.interpolate that ToDo's graph rewrite supports: both
// select tokens.
const (
	NearestExact = "nearest-exact" // upstream and the A1111 port
	Nearest      = "nearest"       // the HF demo and comfy-todo
)

// Options are ToDo's settings (upstream's token_merge_args that matter with
// merge_method "downsample").
type Options struct {
	// Factor divides the token grid's sides at depth 1 (downsample_factor): 2 keeps
	// a quarter of the keys and values. It may be fractional (new = int(cur/f)).
	// 1 means no downsampling at that depth.
	Factor float64 `json:"factor"`
	// Factor2 is the factor at deeper levels (downsample_factor_level_2); 0 means
	// Factor. Used only where MaxDownsample reaches them.
	Factor2 float64 `json:"factor2,omitempty"`
	// MaxDownsample limits ToDo to blocks whose grid is at most this many times
	// smaller per side than the latent: 1 (the paper's default) only the
	// full-resolution blocks, 2 also the next level.
	MaxDownsample int `json:"max_downsample"`
	// Interp is NearestExact (default) or Nearest.
	Interp string `json:"interp"`
	// TimestepSwitch, when > 0, downsamples only while t/1000 > TimestepSwitch
	// (upstream's timestep_threshold_switch, 0.2 there); 0 (the ports' choice and
	// our default) downsamples at every step.
	TimestepSwitch float64 `json:"timestep_switch,omitempty"`
}

// DefaultOptions returns the paper's setting: factor 2 at depth 1, nearest-exact,
// no timestep switch.
func DefaultOptions() Options {
	return Options{Factor: 2, MaxDownsample: 1, Interp: NearestExact}
}

// FactorAt returns the factor used at a block depth (1: Factor; deeper: Factor2,
// or Factor when Factor2 is 0); 1 beyond MaxDownsample.
func (o Options) FactorAt(depth int) float64 {
	switch {
	case depth < 1 || depth > o.MaxDownsample:
		return 1
	case depth == 1 || o.Factor2 == 0:
		return o.Factor
	}
	return o.Factor2
}

// Validate reports the first setting ToDo cannot run with.
func (o Options) Validate() error {
	bad := func(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) || f < 1 }
	switch {
	case bad(o.Factor):
		return fmt.Errorf("todo: factor %v must be at least 1", o.Factor)
	case o.Factor2 != 0 && bad(o.Factor2):
		return fmt.Errorf("todo: factor2 %v must be at least 1 (or 0: same as factor)", o.Factor2)
	case o.MaxDownsample < 1:
		return fmt.Errorf("todo: max_downsample %d is below 1", o.MaxDownsample)
	case o.Interp != NearestExact && o.Interp != Nearest:
		return fmt.Errorf("todo: interp %q: want %q or %q (bilinear/bicubic/pooling are not token selections and are not supported)", o.Interp, NearestExact, Nearest)
	case math.IsNaN(o.TimestepSwitch) || o.TimestepSwitch < 0 || o.TimestepSwitch >= 1:
		return fmt.Errorf("todo: timestep_switch %v is outside [0, 1)", o.TimestepSwitch)
	}
	return nil
}

// PatchOptions are the settings of Patch: ToDo's options and the latent size the
// model is planned for (zero: the sample input's static size).
type PatchOptions struct {
	Options
	Latent [2]int `json:"latent"`
}
