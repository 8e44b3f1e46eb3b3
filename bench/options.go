package bench

import (
	"fmt"
	"io"
	"slices"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/methods/todo"
	"github.com/tomebench/tomebench/sd/models"
	"github.com/tomebench/tomebench/tome"
)

// DefaultRatios are the merge ratios of the paper's table 4.
var DefaultRatios = []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6}

// Options configure Run. Exactly one of Model and Arch is set.
type Options struct {
	// Model is a folder holding an ONNX UNet (model.onnx, or unet/model.onnx of an
	// ONNX pipeline folder) or a diffusers folder, converted once into the cache.
	Model string
	// Arch names a models.ArchNames architecture whose seeded random-weight UNet is
	// built once and cached.
	Arch string
	// Seed draws the random weights (Arch), inputs and partitions.
	Seed uint64
	// Ratios are the merge ratios to measure; 0 (the unpatched model, the speed-ups'
	// reference) is added when missing.
	Ratios []float64
	// ToMe holds tomesd's other options (the ratio is taken from Ratios).
	ToMe tome.Options
	// ToDoFactors add one ToDo row per depth-1 downsampling factor (todo.Options
	// {Factor: f, MaxDownsample: ToMe.MaxDownsample, Interp: nearest-exact}), measured
	// like the ratio rows.
	ToDoFactors []float64
	// AgentSD adds one AgentSD row per setting, measured like the ratio rows.
	AgentSD []agentsd.Options
	// Batch is the UNet batch (2: one image under classifier-free guidance).
	Batch int
	// Size is the image side in pixels (latent = Size / 8).
	Size int
	// Precision is "fp32" or "fp16".
	Precision string
	// Attention is "plain" or "fused" (models.Options.FusedAttention).
	Attention string
	// Session holds the provider, threads and memory settings of every session.
	Session ort.SessionOptions
	// Arena, if set, opens every session on a process-wide CPU arena configured by it
	// (ort.RegisterCPUArena), e.g. growing by exactly what is requested.
	Arena *ort.ArenaConfig
	// Repeat is the number of rounds (timed calls per ratio).
	Repeat int
	// Profile measures ToMe's share of the patched call (one more child per ratio).
	Profile bool
	// MemoryLimit, in bytes, turns on the paper's memory measurement (0: off).
	MemoryLimit int64
	// MaxImages caps the batch search of the memory measurement (0: 64 images).
	MaxImages int
	// CacheDir holds built models (default ~/.cache/tomebench).
	CacheDir string
	// ChildCommand is the argv that starts a measurement child (default: this
	// executable and ChildSubcommand).
	ChildCommand []string
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Defaults returns the Options of `tomebench bench` without flags.
func Defaults() Options {
	return Options{Seed: 1, Ratios: slices.Clone(DefaultRatios), ToMe: tome.DefaultOptions(), Batch: 2, Size: 512,
		Precision: "fp32", Attention: "plain", Repeat: 3, Profile: true}
}

// Validate reports caller mistakes in o.
func (o Options) Validate() error {
	if (o.Model == "") == (o.Arch == "") {
		return fmt.Errorf("bench: give exactly one of a model folder and an architecture")
	}
	if o.Arch != "" {
		if _, err := models.LookupArch(o.Arch); err != nil {
			return err
		}
	}
	if len(o.Ratios) == 0 {
		return fmt.Errorf("bench: no ratios")
	}
	for _, r := range o.Ratios {
		if r < 0 || r >= 1 {
			return fmt.Errorf("bench: ratio %g outside [0, 1)", r)
		}
	}
	for _, f := range o.ToDoFactors {
		if err := o.todoOptions(f).Validate(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	for _, a := range o.AgentSD {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if o.Batch < 1 || o.Repeat < 1 {
		return fmt.Errorf("bench: batch and repeat must be at least 1")
	}
	if o.Size < 8 || o.Size%8 != 0 {
		return fmt.Errorf("bench: image size %d is not a positive multiple of 8", o.Size)
	}
	if o.Precision != "fp32" && o.Precision != "fp16" {
		return fmt.Errorf("bench: precision %q (want fp32 or fp16)", o.Precision)
	}
	if o.Attention != "plain" && o.Attention != "fused" {
		return fmt.Errorf("bench: attention %q (want plain or fused)", o.Attention)
	}
	if o.MemoryLimit < 0 {
		return fmt.Errorf("bench: negative memory limit")
	}
	return nil
}

// ratios returns o.Ratios with 0 first, each once.
func (o Options) ratios() []float64 {
	out := []float64{0}
	for _, r := range o.Ratios {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// images is the number of images one call serves: batch / 2 under classifier-free
// guidance.
func (o Options) images() float64 { return float64(o.Batch) / 2 }

// Row methods (Row.Method).
const (
	MethodNone    = "none"    // the unpatched model, the speed-ups' reference
	MethodToMe    = "tome"    // tome.Patch at Row.Ratio
	MethodToDo    = "todo"    // todo.Patch with Row.ToDo
	MethodAgentSD = "agentsd" // agentsd.Patch with Row.AgentSD
)

// A variant is what one row measures: the unpatched model, ToMe at a ratio, ToDo or
// AgentSD.
type variant struct {
	method, label string
	ratio         float64 // ToMe's ratio; AgentSD's merge ratio; 0 for ToDo
	todo          *todo.Options
	agentsd       *agentsd.Options
}

// what names v in log lines, warnings and errors ("ratio 0.5" for the ratio rows, as
// before the other methods were added; the label otherwise).
func (v variant) what() string {
	if v.method == MethodNone || v.method == MethodToMe {
		return fmt.Sprintf("ratio %g", v.ratio)
	}
	return v.label
}

// todoOptions are the ToDo options of the row of factor f.
func (o Options) todoOptions(f float64) todo.Options {
	t := todo.DefaultOptions()
	t.Factor, t.MaxDownsample, t.Interp = f, o.ToMe.MaxDownsample, todo.NearestExact
	return t
}

// variants returns the rows to measure: o.ratios() (the reference first), then one
// per ToDo factor and one per AgentSD setting, each once.
func (o Options) variants() []variant {
	var out []variant
	for _, r := range o.ratios() {
		if r == 0 {
			out = append(out, variant{method: MethodNone, label: "none"})
		} else {
			out = append(out, variant{method: MethodToMe, label: fmt.Sprintf("tome r=%g", r), ratio: r})
		}
	}
	var seen []float64
	for _, f := range o.ToDoFactors {
		if slices.Contains(seen, f) {
			continue
		}
		seen = append(seen, f)
		t := o.todoOptions(f)
		out = append(out, variant{method: MethodToDo, label: fmt.Sprintf("todo f=%g", f), todo: &t})
	}
	var seenA []agentsd.Options
	for _, a := range o.AgentSD {
		if slices.Contains(seenA, a) {
			continue
		}
		seenA = append(seenA, a)
		a := a
		out = append(out, variant{method: MethodAgentSD, label: AgentSDLabel(a), ratio: a.Ratio, agentsd: &a})
	}
	return out
}

// AgentSDLabel is the label of an AgentSD row: "agentsd r=0.4 a=0.95 s=4" (strides
// sx = sy = 4), "s=4x2" when sx ≠ sy.
func AgentSDLabel(a agentsd.Options) string {
	s := fmt.Sprint(a.SX)
	if a.SX != a.SY {
		s = fmt.Sprintf("%dx%d", a.SX, a.SY)
	}
	return fmt.Sprintf("agentsd r=%g a=%g s=%s", a.Ratio, a.AgentRatio, s)
}
