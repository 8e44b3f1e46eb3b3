package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/runner"
)

var runCommand = &command{
	name: "run",
	args: "CONFIG.yaml",
	summary: "Run an experiment: every variant of the config's sweep generates its images, then FID,\n" +
		"PSNR/SSIM to the baseline and the report (table, plots, report.html) are written to the run\n" +
		"folder. Rerunning resumes: finished images are never redone, and a rerun after a kill gives\n" +
		"the same bytes. --shard i/n does part i of n (merge the folders with 'tomebench merge').",
	run: runRun,
}

var planCommand = &command{
	name: "plan",
	args: "CONFIG.yaml",
	summary: "Print the variants of a config and the work they make: images, UNet calls and, with\n" +
		"--calibrate, the estimated time from a short timed generation of each variant.",
	run: runPlan,
}

var mergeCommand = &command{
	name: "merge",
	args: "RUN_DIR... --out DIR",
	summary: "Combine the folders of a sharded run (one plan, run as --shard i/n on several machines)\n" +
		"into one, then compute the metrics and the report when every image is there.",
	run: runMerge,
}

// variantCommand is the hidden child process of `run`: one variant, one process.
var variantCommand = &command{
	name:    runner.ChildSubcommand,
	summary: "(internal) run one variant of a run folder; used by 'tomebench run'",
	hidden:  true,
	run: func(e *env, fs *flag.FlagSet, args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if code := runner.ChildMain(ctx, args, e.stdout, e.stderr); code != 0 {
			return exitCode(code)
		}
		return nil
	},
}

// exitCode is an error that only sets the exit status (the message is already out).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// loadConfig reads a config and checks what it names on disk.
func loadConfig(path string) (*experiments.Config, error) {
	cfg, err := experiments.Load(path)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckPaths(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func runRun(e *env, fs *flag.FlagSet, args []string) error {
	out := fs.String("out", "", "run `folder` (default: the config's out, else runs/<name>)")
	shard := fs.String("shard", "", "do part `i/n` of the work (0-based i), e.g. $SLURM_ARRAY_TASK_ID/4")
	quiet := fs.Bool("quiet", false, "no progress output")
	noReport := fs.Bool("no-report", false, "do not write the report at the end")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one config file, got %d arguments", len(pos))
	}
	opts := runner.Options{Out: *out, Log: e.stderr}
	if *shard != "" {
		if opts.Shard, err = runner.ParseShard(*shard); err != nil {
			return usagef("--shard: %v", err)
		}
	}
	cfg, err := loadConfig(pos[0])
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	if opts.Out == "" {
		opts.Out = cfg.Out
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pr := newRunProgress(e, *quiet)
	opts.Events = pr.event
	start := time.Now()
	sum, err := runner.Run(ctx, cfg, opts)
	pr.finish()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; finished images are kept in %s and a rerun resumes", opts.Out)
		}
		return err
	}
	fmt.Fprintf(e.stderr, "%d images made in %s; run folder %s\n", sum.Generated, time.Since(start).Round(time.Second), sum.Dir)
	if sum.Pending > 0 {
		fmt.Fprintf(e.stderr, "%d images of the plan are still missing (other shards); merge the shards' folders with 'tomebench merge', or rerun without --shard\n", sum.Pending)
		return nil
	}
	if *noReport {
		return nil
	}
	return writeReport(e, sum.Dir)
}

func runPlan(e *env, fs *flag.FlagSet, args []string) error {
	calibrate := fs.Bool("calibrate", false, "time a short generation of each variant and estimate the run's time")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one config file, got %d arguments", len(pos))
	}
	cfg, err := loadConfig(pos[0])
	if err != nil {
		return err
	}
	cache, err := runner.CacheDir()
	if err != nil {
		return err
	}
	plan, modelDir, err := runner.Resolve(cfg, cache, e.stderr, nil)
	if err != nil {
		return err
	}
	var est map[string]runner.Estimate
	if *calibrate {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if est, err = runner.Calibrate(ctx, plan, modelDir, cache); err != nil {
			return err
		}
	}
	return printPlan(e, cfg, plan, modelDir, est)
}

func runMerge(e *env, fs *flag.FlagSet, args []string) error {
	out := fs.String("out", "", "the merged run `folder` (must not exist, or be empty)")
	noReport := fs.Bool("no-report", false, "do not compute metrics or write the report")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || *out == "" {
		return usagef("want one or more run folders and --out DIR")
	}
	plan, err := runner.Merge(pos, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "merged %d folders into %s\n", len(pos), *out)
	if *noReport {
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	missing, err := runner.Missing(*out, plan)
	if err != nil {
		return err
	}
	if missing > 0 {
		fmt.Fprintf(e.stderr, "%d images are still missing: no metrics or report yet (run the missing shards into %s, or rerun the config with --out %s)\n", missing, *out, *out)
		return nil
	}
	cache, err := runner.CacheDir()
	if err != nil {
		return err
	}
	pr := newRunProgress(e, false)
	_, err = runner.Evaluate(ctx, *out, plan, runner.EvalOptions{CacheDir: cache, Events: pr.event, Log: e.stderr})
	pr.finish()
	if err != nil {
		return err
	}
	return writeReport(e, *out)
}

// runProgress draws a run's progress on stderr: a bar per variant on a terminal,
// one line per variant otherwise.
type runProgress struct {
	e     *env
	quiet bool
	tty   bool
	bar   *progressbar.ProgressBar
}

func newRunProgress(e *env, quiet bool) *runProgress {
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &runProgress{e: e, quiet: quiet, tty: tty}
}

func (p *runProgress) event(ev runner.Event) {
	if p.quiet {
		return
	}
	w := p.e.stderr
	switch ev.Kind {
	case runner.EventModel:
		fmt.Fprintf(w, "model: %s\n", ev.Msg)
	case runner.EventVariant:
		p.finish()
		fmt.Fprintf(w, "%s [%s]: %d images to make\n", ev.Label, ev.Variant, ev.Total)
		if p.tty {
			p.bar = progressbar.NewOptions(ev.Total, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(ev.Label), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		}
	case runner.EventPrepared:
		fmt.Fprintf(w, "%s: models ready in %.1f s\n", ev.Label, ev.Seconds)
	case runner.EventImages:
		if p.bar != nil {
			p.bar.Set(ev.Done)
		} else {
			fmt.Fprintf(w, "%s: %d/%d images (%.2f s per batch)\n", ev.Label, ev.Done, ev.Total, ev.Seconds)
		}
	case runner.EventSkipped:
		fmt.Fprintf(w, "%s [%s]: nothing left to do\n", ev.Label, ev.Variant)
	case runner.EventMetrics:
		p.finish()
		fmt.Fprintf(w, "metrics: %s\n", ev.Msg)
	case runner.EventWarning:
		fmt.Fprintf(w, "warning: %s\n", ev.Msg)
	}
}

func (p *runProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
