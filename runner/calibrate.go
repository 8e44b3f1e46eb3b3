package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// An Estimate is a variant's expected cost from a short timed generation.
type Estimate struct {
	// PrepareSeconds is the time to prepare the variant's UNets.
	PrepareSeconds float64
	// StepSeconds is one denoising step of a full batch (UNet call + scheduler), and
	// FixedSeconds the rest of a batch (text encoder, VAE decoder, PNG).
	StepSeconds, FixedSeconds float64
	// Seconds is the estimated time of all the variant's images.
	Seconds float64
	// PatchedBlocks of Blocks transformer blocks are patched; Warnings are the patch's
	// (e.g. a max_downsample that reaches no block).
	PatchedBlocks, Blocks int
	Warnings              []string
}

// Calibrate estimates each variant's time in this process: after a warm-up it times a
// batch with a 1-step and with a 3-step schedule, and splits the difference into a
// per-step and a fixed cost, which it scales to the plan's steps and batches. It is a
// rough guide (one sample per variant), not a measurement.
func Calibrate(ctx context.Context, plan *experiments.Plan, modelDir, cacheDir string) (map[string]Estimate, error) {
	if err := ort.Init(); err != nil {
		return nil, err
	}
	g := plan.Generation
	p, err := pipeline.Open(modelDir, pipeline.Options{Provider: plan.Model.Provider, Threads: plan.Model.Threads,
		Precision: plan.Model.Precision, Attention: plan.Model.Attention, Scheduler: g.Scheduler, CacheDir: filepath.Join(cacheDir, "converted")})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	sched, err := p.NewScheduler()
	if err != nil {
		return nil, err
	}
	sched.SetTimesteps(g.Steps)
	timesteps := len(sched.Timesteps())
	n := len(plan.Prompts.Prompts)
	batches := Batches(n, g.BatchSize)
	prompts := promptsOf(plan, BatchIndices(0, g.BatchSize, n))
	out := map[string]Estimate{}
	for _, v := range plan.Variants {
		t0 := time.Now()
		unets, err := prepareUNets(ctx, p, v, g)
		if err != nil {
			return nil, err
		}
		est := Estimate{PatchedBlocks: unets.patched, Blocks: unets.blocks, Warnings: unets.warnings}
		est.PrepareSeconds = time.Since(t0).Seconds()
		gen := func(steps int) (float64, int, error) {
			req := pipeline.Request{Prompts: prompts, Height: g.Height, Width: g.Width, Steps: steps,
				GuidanceScale: g.Guidance, Seed: g.Seed}
			if err := unets.request(&req); err != nil {
				return 0, 0, err
			}
			res, err := p.Generate(ctx, req)
			if err != nil {
				return 0, 0, err
			}
			return res.Seconds, len(res.Timesteps), nil
		}
		if _, _, err := gen(1); err != nil {
			unets.close()
			return nil, fmt.Errorf("runner: calibrating %s: %w", v.Label, err)
		}
		t1, n1, err := gen(1)
		if err == nil {
			var t3 float64
			var n3 int
			if t3, n3, err = gen(3); err == nil {
				est.StepSeconds = max(0, (t3-t1)/float64(n3-n1))
				est.FixedSeconds = max(0, t1-est.StepSeconds*float64(n1))
				est.Seconds = float64(batches) * (est.FixedSeconds + est.StepSeconds*float64(timesteps))
			}
		}
		unets.close()
		if err != nil {
			return nil, fmt.Errorf("runner: calibrating %s: %w", v.Label, err)
		}
		out[v.ID] = est
	}
	return out, nil
}

// UNetCalls returns the UNet calls a variant makes for all its images: one per
// scheduler timestep per batch (PNDM runs steps+1 timesteps).
func UNetCalls(plan *experiments.Plan, timesteps int) int {
	return Batches(len(plan.Prompts.Prompts), plan.Generation.BatchSize) * timesteps
}
