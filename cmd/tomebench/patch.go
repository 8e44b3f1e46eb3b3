package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/methods"
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/methods/todo"
	"github.com/tomebench/tomebench/tome"
)

var inspectCommand = &command{
	name: "inspect",
	args: "MODEL.onnx",
	summary: "List a UNet's transformer blocks, their token counts and which ones the ToMe flags would merge.\n" +
		"With --method todo or agentsd, which ones those methods would patch; for a patched model,\n" +
		"also how it was patched (its metadata_props record tomebench.patch).\n" +
		"The flags are those of 'tomebench patch'; nothing is written.",
	run: runInspect,
}

var patchCommand = &command{
	name: "patch",
	args: "MODEL.onnx --out OUT.onnx",
	summary: "Insert Token Merging (ToMe for SD, as tomesd.apply_patch) into an ONNX UNet and write it.\n" +
		"--method todo inserts ToDo (keys/values from a downsampled token grid: --factor, --interp),\n" +
		"--method agentsd AgentSD (ToMe + agent attention: --ratio, --sx, --sy, --agent-ratio).\n" +
		"External weights are referred to, not copied. With random partitions (tome, agentsd) the\n" +
		"patched model takes one int64 input tome_rand_idx_K [h/sy, w/sx] per patched block.\n" +
		"The method and its settings are recorded in the model's metadata_props (tomebench.patch).",
	run: runPatch,
}

// patchFlags registers the ToMe flags (tomeflags.go), --latent, --method and the
// flags of ToDo and AgentSD on fs and returns a function that reads them once fs is
// parsed. --ratio defaults to tomesd's 0.5: a user asking to patch (or to see what a
// patch would do) wants apply_patch's default.
func patchFlags(fs *flag.FlagSet) func() (patchSpec, error) {
	var tf tomeFlags
	tf.register(fs, tome.DefaultOptions().Ratio, "The default is tomesd's apply_patch default: asking to patch is asking for ToMe.")
	latent := fs.String("latent", "", "`HxW` latent size to plan for (default: the static size of the sample input)")
	method := fs.String("method", "tome", "`METHOD`: tome (Token Merging), todo (ToDo token downsampling) or agentsd (AgentSD: ToMe + agent attention)")
	td, ad := todo.DefaultOptions(), agentsd.DefaultOptions()
	factor := fs.Float64("factor", td.Factor, "ToDo: divide the key/value token grid's sides by this at depth 1 (> 1; may be fractional)")
	factor2 := fs.Float64("factor2", 0, "ToDo: the factor at depth 2 and below, where --max-downsample reaches (0: same as --factor)")
	interp := fs.String("interp", td.Interp, "ToDo: `MODE` of the key/value downsampling, nearest-exact or nearest")
	tswitch := fs.Float64("timestep-switch", 0, "ToDo: downsample only while t/1000 > this (upstream 0.2; 0, the ports' choice: always)")
	agentRatio := fs.Float64("agent-ratio", ad.AgentRatio, "AgentSD: agent tokens = N - min(int(N*agent_ratio), #src)")
	kScale2 := fs.Float64("k-scale2", ad.KScale2, "AgentSD: exponent of the second softmax's scale (head_dim^(-0.5*k))")
	kShortcut := fs.Float64("k-shortcut", ad.KShortcut, "AgentSD: weight of the V shortcut")
	return func() (patchSpec, error) {
		p := patchSpec{method: *method}
		to, err := tf.options()
		if err != nil {
			return p, err
		}
		var lat [2]int
		if *latent != "" {
			h, w, ok := strings.Cut(*latent, "x")
			H, err1 := strconv.Atoi(h)
			W, err2 := strconv.Atoi(w)
			if !ok || err1 != nil || err2 != nil || H <= 0 || W <= 0 {
				return p, usagef("--latent wants HxW with positive sizes, got %q", *latent)
			}
			lat = [2]int{H, W}
		}
		only := map[string]string{ // flags that belong to some methods only
			"merge-attn": "tome", "merge-crossattn": "tome", "merge-mlp": "tome",
			"ratio": "tome agentsd", "sx": "tome agentsd", "sy": "tome agentsd", "no-rand": "tome agentsd",
			"factor": "todo", "factor2": "todo", "interp": "todo", "timestep-switch": "todo",
			"agent-ratio": "agentsd", "k-scale2": "agentsd", "k-shortcut": "agentsd",
		}
		var bad error
		fs.Visit(func(f *flag.Flag) {
			if ms, ok := only[f.Name]; ok && bad == nil && !slices.Contains(strings.Fields(ms), p.method) {
				bad = usagef("--%s is a flag of --method %s, not of --method %s", f.Name, strings.ReplaceAll(ms, " ", "/"), p.method)
			}
		})
		switch p.method {
		case "tome":
			p.tome = tome.PatchOptions{Options: to, Latent: lat}
		case "todo":
			p.todo = todo.PatchOptions{Options: todo.Options{Factor: *factor, Factor2: *factor2, MaxDownsample: to.MaxDownsample, Interp: *interp, TimestepSwitch: *tswitch}, Latent: lat}
			if err := p.todo.Validate(); err != nil {
				return p, usagef("%v", err)
			}
		case "agentsd":
			p.agentsd = agentsd.PatchOptions{Options: agentsd.Options{Ratio: to.Ratio, MaxDownsample: to.MaxDownsample, SX: to.SX, SY: to.SY,
				AgentRatio: *agentRatio, KScale2: *kScale2, KShortcut: *kShortcut, UseRand: to.UseRand}, Latent: lat}
			if err := p.agentsd.Validate(); err != nil {
				return p, usagef("%v", err)
			}
		default:
			return p, usagef("--method %q: want tome, todo or agentsd", p.method)
		}
		return p, bad
	}
}

// A patchSpec is the method chosen with --method and its options.
type patchSpec struct {
	method  string
	tome    tome.PatchOptions
	todo    todo.PatchOptions
	agentsd agentsd.PatchOptions
}

// A textReport is the report of any method's Patch or Inspect.
type textReport interface{ WriteText(io.Writer) error }

// tomeRecord is how a ToMe-patched model records its settings: tomesd's names.
type tomeRecord struct {
	Ratio          float64 `json:"ratio"`
	MaxDownsample  int     `json:"max_downsample"`
	SX             int     `json:"sx"`
	SY             int     `json:"sy"`
	UseRand        bool    `json:"use_rand"`
	MergeAttn      bool    `json:"merge_attn"`
	MergeCrossAttn bool    `json:"merge_crossattn"`
	MergeMLP       bool    `json:"merge_mlp"`
}

// apply runs the method's Patch (patch true) or Inspect on m. A patched model records
// the method and settings in its metadata (methods.MetadataKey).
func (p patchSpec) apply(m *onnx.Model, patch bool) (textReport, error) {
	switch p.method {
	case "todo":
		if patch {
			return todo.Patch(m, p.todo)
		}
		return todo.Inspect(m, p.todo)
	case "agentsd":
		if patch {
			return agentsd.Patch(m, p.agentsd)
		}
		return agentsd.Inspect(m, p.agentsd)
	}
	if !patch {
		return tome.Inspect(m, p.tome)
	}
	rep, err := tome.Patch(m, p.tome)
	if err == nil && rep.Patched > 0 {
		o := p.tome.Options
		methods.SetRecord(m, "tome", tomeRecord{o.Ratio, o.MaxDownsample, o.SX, o.SY, o.UseRand, o.MergeAttn, o.MergeCrossAttn, o.MergeMLP},
			[2]int{rep.LatentH, rep.LatentW}, rep.Patched)
	}
	return rep, err
}

// loadModelArg parses a command line naming one model file, runs check on the other
// flags (if not nil), reads the ToMe options and loads the model.
func loadModelArg(fs *flag.FlagSet, args []string, opts func() (patchSpec, error), check func() error) (string, *onnx.Model, patchSpec, error) {
	var o patchSpec
	pos, err := parse(fs, args)
	if err != nil {
		return "", nil, o, err
	}
	if len(pos) != 1 {
		return "", nil, o, usagef("want one model file, got %d arguments", len(pos))
	}
	if check != nil {
		if err := check(); err != nil {
			return "", nil, o, err
		}
	}
	if o, err = opts(); err != nil {
		return "", nil, o, err
	}
	m, err := onnx.Load(pos[0])
	return pos[0], m, o, err
}

func runInspect(e *env, fs *flag.FlagSet, args []string) error {
	path, m, o, err := loadModelArg(fs, args, patchFlags(fs), nil)
	if err != nil {
		return err
	}
	rec, patched, err := methods.ReadRecord(m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if patched {
		fmt.Fprintf(e.stdout, "model: %s\n", rec)
	}
	rep, err := o.apply(m, false)
	if err != nil {
		if patched {
			fmt.Fprintf(e.stdout, "(the model is patched already, so --method %s cannot plan it again: %v)\n", o.method, err)
			return nil
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return rep.WriteText(e.stdout)
}

func runPatch(e *env, fs *flag.FlagSet, args []string) error {
	opts := patchFlags(fs)
	out := fs.String("out", "", "`OUT.onnx`: where to write the patched model (required)")
	path, m, o, err := loadModelArg(fs, args, opts, func() error {
		if *out == "" {
			return usagef("--out is required")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := checkPatchable(path, m); err != nil { // patched already, or fused by ORT (patchcheck.go)
		return err
	}
	rep, err := o.apply(m, true)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	if *out, err = patchOutPath(*out); err != nil { // a new folder is created (patchcheck.go)
		return err
	}
	if err := m.Save(*out, onnx.SaveOptions{}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	return nil
}
