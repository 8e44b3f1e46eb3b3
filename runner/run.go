package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// Options say where and how Run works.
type Options struct {
	// Out is the run folder ("" takes the config's).
	Out string
	// Shard is the part of the work to do (zero value: all of it).
	Shard Shard
	// CacheDir is tomebench's cache folder ("": CacheDir()).
	CacheDir string
	// Events, when set, receives progress reports.
	Events func(Event)
	// Log receives what child processes print on stderr and other messages
	// (nil: discarded).
	Log io.Writer
	// ChildCommand is the command line that runs ChildMain in a child process, to which
	// the job's flags are appended (nil: this executable with the hidden subcommand
	// ChildSubcommand).
	ChildCommand []string
	// InProcess runs the variants in this process instead of child processes: no
	// process start-up, but every variant's peak memory then includes the earlier ones'.
	// For tests.
	InProcess bool
	// NoMetrics skips the metrics step even when every image exists.
	NoMetrics bool
}

// A Summary says what Run did.
type Summary struct {
	Dir      string
	Plan     *experiments.Plan
	ModelDir string
	// Generated counts the images made by this call; Pending those still missing in
	// the whole run (other shards' included) after it.
	Generated, Pending int
	// Metrics are the metrics computed at the end (nil when images are still missing,
	// or with NoMetrics).
	Metrics *experiments.Metrics
}

// Run does the part of cfg's run that opts.Shard owns into the run folder (see the
// package doc), resuming whatever an earlier call left, and computes the metrics once
// every image of the plan exists. cfg must have passed CheckPaths. Nothing is written
// before the model is resolved and the plan checked against the folder's.
func Run(ctx context.Context, cfg *experiments.Config, opts Options) (*Summary, error) {
	if opts.Shard == (Shard{}) {
		opts.Shard = Whole
	}
	if err := opts.Shard.Validate(); err != nil {
		return nil, err
	}
	out := opts.Out
	if out == "" {
		out = cfg.Out
	}
	emit := opts.Events
	if emit == nil {
		emit = func(Event) {}
	}
	cache := opts.CacheDir
	if cache == "" {
		var err error
		if cache, err = CacheDir(); err != nil {
			return nil, err
		}
	}

	// 1-2. The model and the plan, checked against the folder's.
	plan, modelDir, err := Resolve(cfg, cache, opts.Log, emit)
	if err != nil {
		return nil, err
	}
	old, err := readPlan(out)
	switch {
	case err == nil:
		if err := plan.Compatible(old); err != nil {
			return nil, fmt.Errorf("%s: %w", out, err)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, err
	}
	if err := writeRunFiles(out, cfg, plan); err != nil {
		return nil, err
	}
	env := environment(plan.Model.Provider, threads(plan.Model.Threads))
	env.Shard = opts.Shard.String()
	envPath := filepath.Join(out, "records", "env"+opts.Shard.Suffix()+".json")
	if err := writeJSONAtomic(envPath, env); err != nil {
		return nil, err
	}

	// 3-4. Every variant with work in this shard, each in its own process.
	sum := &Summary{Dir: out, Plan: plan, ModelDir: modelDir}
	ownRecords := filepath.Join(out, "records", "images"+opts.Shard.Suffix()+".jsonl")
	for _, v := range plan.Variants {
		before, err := countRecords(ownRecords)
		if err != nil {
			return nil, err
		}
		job := VariantJob{Dir: out, ModelDir: modelDir, Variant: v.ID, Shard: opts.Shard, CacheDir: cache, Events: emit}
		if opts.InProcess {
			err = RunVariant(ctx, job)
		} else {
			err = runChild(ctx, job, opts)
		}
		if err != nil {
			return nil, err
		}
		after, err := countRecords(ownRecords)
		if err != nil {
			return nil, err
		}
		sum.Generated += after - before // this shard's own records: others may share the folder
	}
	env.Finished = time.Now().UTC().Format(time.RFC3339)
	if err := writeJSONAtomic(envPath, env); err != nil {
		return nil, err
	}

	// 5. Metrics, once everything exists.
	done, err := countFinished(out, plan)
	if err != nil {
		return nil, err
	}
	sum.Pending = len(plan.Variants)*len(plan.Prompts.Prompts) - done
	if sum.Pending > 0 || opts.NoMetrics {
		return sum, nil
	}
	if sum.Metrics, err = Evaluate(ctx, out, plan, EvalOptions{CacheDir: cache, Events: emit, Log: opts.Log}); err != nil {
		return nil, err
	}
	return sum, nil
}

// Resolve does the first two steps of a run without writing into the run folder: it
// resolves the model (synthesising or converting it into the cache when needed) and
// expands cfg into a Plan with the model's identity. It returns the plan and the model
// folder.
func Resolve(cfg *experiments.Config, cache string, log io.Writer, emit func(Event)) (*experiments.Plan, string, error) {
	if emit == nil {
		emit = func(Event) {}
	}
	// 1. The model, converted once when it is a diffusers folder.
	src := ModelSource{Path: cfg.Model.Path}
	if s := cfg.Model.Synth; s != nil {
		src = ModelSource{SynthArch: s.Arch, SynthSeed: s.Seed}
	}
	modelDir, err := ResolveModel(src, cache, log)
	if err != nil {
		return nil, "", err
	}
	layout, err := pipeline.DetectLayout(modelDir)
	if err != nil {
		return nil, "", err
	}
	if layout != pipeline.LayoutDiffusers && cfg.Model.Attention == experiments.AttentionFused {
		return nil, "", fmt.Errorf("%s: model.attention: fused needs a diffusers folder (or synth) to convert; %s is an ONNX folder, whose graph is used as it is: remove the key or convert the diffusers model",
			cfg.File, modelDir)
	}
	if layout == pipeline.LayoutDiffusers {
		t := time.Now()
		conv, err := pipeline.ConvertedDir(modelDir, pipeline.Options{Precision: cfg.Model.Precision, Attention: cfg.Model.Attention, CacheDir: filepath.Join(cache, "converted")})
		if err != nil {
			return nil, "", err
		}
		emit(Event{Kind: EventModel, Msg: fmt.Sprintf("%s (ONNX: %s)", modelDir, conv), Seconds: time.Since(t).Seconds()})
	} else {
		emit(Event{Kind: EventModel, Msg: modelDir})
	}

	identity, err := experiments.ModelIdentity(modelDir)
	if err != nil {
		return nil, "", err
	}
	plan, err := cfg.Expand(identity)
	if err != nil {
		return nil, "", err
	}
	plan.ConfigFile = cfg.File
	return plan, modelDir, nil
}

// writeRunFiles writes plan.json and a copy of the config file into the run folder.
func writeRunFiles(out string, cfg *experiments.Config, plan *experiments.Plan) error {
	if err := os.MkdirAll(filepath.Join(out, "records"), 0o755); err != nil {
		return fmt.Errorf("runner: creating the run folder: %w", err)
	}
	if cfg.File != "" {
		b, err := os.ReadFile(cfg.File)
		if err != nil {
			return fmt.Errorf("runner: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(out, "config.yaml"), b); err != nil {
			return err
		}
	}
	return writeJSONAtomic(filepath.Join(out, "plan.json"), plan)
}

// countFinished counts the plan's finished images (all shards).
func countFinished(dir string, plan *experiments.Plan) (int, error) {
	done, err := finishedImages(dir, plan)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range done {
		n += len(d)
	}
	return n, nil
}

// Missing returns how many images of plan the run folder dir still lacks.
func Missing(dir string, plan *experiments.Plan) (int, error) {
	n, err := countFinished(dir, plan)
	if err != nil {
		return 0, err
	}
	return len(plan.Variants)*len(plan.Prompts.Prompts) - n, nil
}

// countRecords counts the complete lines of a records file (0 when it does not exist).
func countRecords(path string) (int, error) {
	n := 0
	_, err := experiments.ReadJSONL(path, func(int, json.RawMessage) error { n++; return nil })
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return n, err
}
