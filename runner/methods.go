package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/methods/deepcache"
	"github.com/tomebench/tomebench/methods/todo"
	"github.com/tomebench/tomebench/sd/pipeline"
	"github.com/tomebench/tomebench/tome"
)

// prepareMethod prepares the UNets of a todo, agentsd or deepcache variant: ToDo and
// AgentSD are graph rewrites of the UNet (one patched model for every step; AgentSD's
// random partitions are fed like ToMe's), DeepCache a pipeline-level schedule of a full
// and a partial UNet (its Apply sets each request's UNets and hooks).
func prepareMethod(ctx context.Context, p *pipeline.Pipeline, v experiments.Variant, g experiments.GenerationPlan) (*variantUNets, error) {
	_, f := p.VAEScale()
	latent := [2]int{g.Height / f, g.Width / f}
	switch {
	case v.DeepCache != nil:
		opts := deepcache.Options{Interval: v.DeepCache.Interval, Branch: v.DeepCache.Branch}
		if err := opts.Validate(); err != nil {
			return nil, err
		}
		m, err := deepcache.Prepare(ctx, p, opts, g.Height, g.Width)
		if err != nil {
			return nil, err
		}
		return &variantUNets{
			warmSteps: opts.Interval + 1, // a full call, then partial ones
			closers:   []func() error{m.Close},
			apply: func(req *pipeline.Request) error {
				_, err := m.Apply(req)
				return err
			},
		}, nil

	case v.ToDo != nil:
		opts := todo.DefaultOptions()
		opts.Factor, opts.MaxDownsample, opts.Interp = float64(v.ToDo.Factor), v.ToDo.MaxDownsample, v.ToDo.Interp
		if err := opts.Validate(); err != nil {
			return nil, err
		}
		m, err := p.LoadUNetModel()
		if err != nil {
			return nil, err
		}
		rep, err := todo.Patch(m, todo.PatchOptions{Options: opts, Latent: latent})
		if err != nil {
			return nil, fmt.Errorf("runner: %s: %w", v.Label, err)
		}
		u, err := p.OpenUNetModel(ctx, m, pipeline.UNetModelOptions{Name: p.Parts.UNet + " (" + v.Label + ")"})
		if err != nil {
			return nil, err
		}
		return patchedUNet(u, rep.Patched, len(rep.Blocks), rep.Warnings), nil

	case v.AgentSD != nil:
		a := v.AgentSD
		opts := agentsd.DefaultOptions()
		opts.Ratio, opts.SX, opts.SY, opts.AgentRatio, opts.MaxDownsample = a.Ratio, a.SX, a.SY, a.AgentRatio, a.MaxDownsample
		if err := opts.Validate(); err != nil {
			return nil, err
		}
		m, err := p.LoadUNetModel()
		if err != nil {
			return nil, err
		}
		rep, err := agentsd.Patch(m, agentsd.PatchOptions{Options: opts, Latent: latent})
		if err != nil {
			return nil, fmt.Errorf("runner: %s: %w", v.Label, err)
		}
		to := opts.ToMe()
		u, err := p.OpenUNetModel(ctx, m, pipeline.UNetModelOptions{Name: p.Parts.UNet + " (" + v.Label + ")",
			ToMe: &to, Report: &tome.Report{RandInputs: rep.RandInputs}})
		if err != nil {
			return nil, err
		}
		w := rep.Warnings
		if rep.Agents == 0 && rep.Patched > 0 {
			w = append(w, errors.New("agentsd: no block makes agent tokens at these settings ((N-agent_r)*2 >= N-r): it runs as ToMe"))
		}
		return patchedUNet(u, rep.Patched, len(rep.Blocks), w), nil
	}
	return nil, fmt.Errorf("runner: method %s is not supported in runs", v.Method)
}

// patchedUNet is the one UNet of a rewritten variant, used at every step.
func patchedUNet(u *pipeline.UNet, patched, blocks int, warnings []error) *variantUNets {
	vu := &variantUNets{distinct: []*pipeline.UNet{u}, perStep: []*pipeline.UNet{u}, patched: patched, blocks: blocks}
	for _, w := range warnings {
		var fixed *tome.FixedLatentWarning
		if !errors.As(w, &fixed) {
			vu.warnings = append(vu.warnings, w.Error())
		}
	}
	if patched == 0 {
		vu.warnings = append(vu.warnings, "no transformer block patched: this variant runs the unpatched UNet")
	}
	return vu
}
