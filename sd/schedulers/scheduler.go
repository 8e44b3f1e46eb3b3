package schedulers

import "fmt"

// A Scheduler turns a model's noise prediction at timestep t into the next, less noisy
// latent. Tensors are flat float32 slices in any layout (the arithmetic is elementwise);
// a batch is just a longer slice. Calls must follow diffusers' order: SetTimesteps, then
// for each t of Timesteps in order ScaleModelInput and Step.
type Scheduler interface {
	// SetTimesteps prepares a sampling run of n inference steps and resets all state.
	// It panics unless 1 <= n <= num_train_timesteps.
	SetTimesteps(n int)
	// Timesteps returns the timesteps to visit, in order (integral for PNDM and DDIM;
	// Euler's may be fractional). PNDM (PLMS) visits its second timestep twice, so it
	// has n+1 entries for n steps. The slice must not be modified.
	Timesteps() []float64
	// InitNoiseSigma is the standard deviation of the initial noise: latents start as
	// standard normal noise times this value (a float32 value held as float64; multiply
	// in float32 as diffusers does). Valid after SetTimesteps (Euler's depends on it).
	InitNoiseSigma() float64
	// ScaleModelInput returns the UNet input for the latents x at timestep t (a new
	// slice for Euler; x itself for PNDM and DDIM, which do not scale).
	ScaleModelInput(x []float32, t float64) []float32
	// Step returns the latents for the next timestep, a new slice, given the model
	// output (after guidance) at timestep t and the current latents.
	Step(modelOutput []float32, t float64, sample []float32) []float32
	// Config is the configuration the scheduler was built from.
	Config() Config
}

// Class names accepted by New and NewAs (diffusers' _class_name values).
const (
	ClassPNDM  = "PNDMScheduler"
	ClassDDIM  = "DDIMScheduler"
	ClassEuler = "EulerDiscreteScheduler"
)

// New builds the scheduler named by cfg.ClassName.
func New(cfg Config) (Scheduler, error) {
	return NewAs(cfg.ClassName, cfg)
}

// NewAs builds a scheduler of class className from cfg, whatever cfg.ClassName says,
// like diffusers' <Class>.from_config(cfg): the SD 1.5 PNDM config gives the DDIM and
// Euler schedulers SD pipelines use.
func NewAs(className string, cfg Config) (Scheduler, error) {
	switch className {
	case ClassPNDM:
		return NewPNDM(cfg)
	case ClassDDIM:
		return NewDDIM(cfg)
	case ClassEuler:
		return NewEuler(cfg)
	case "":
		return nil, &ConfigError{Msg: "no _class_name in the scheduler config"}
	}
	return nil, &ConfigError{Msg: fmt.Sprintf("scheduler class %q is not implemented (have %s, %s, %s)",
		className, ClassPNDM, ClassDDIM, ClassEuler)}
}

func checkPrediction(c Config, class string) error {
	switch p := c.predictionType(); p {
	case "epsilon", "v_prediction":
		return nil
	default:
		return &ConfigError{Msg: fmt.Sprintf("%s: prediction_type %q is not implemented (epsilon, v_prediction)", class, p)}
	}
}

func checkLens(op string, a, b []float32) {
	if len(a) != len(b) {
		panic(fmt.Sprintf("schedulers: %s: model output has %d values, sample %d", op, len(a), len(b)))
	}
}
