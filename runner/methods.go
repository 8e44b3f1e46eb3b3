package runner

import (
	"context"
	"fmt"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/methods/deepcache"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// prepareMethod prepares the UNets of a todo, agentsd or deepcache variant.
func prepareMethod(ctx context.Context, p *pipeline.Pipeline, v experiments.Variant, g experiments.GenerationPlan) (*variantUNets, error) {
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
		u := &variantUNets{
			warmSteps: opts.Interval + 1, // a full call, then partial ones
			closers:   []func() error{m.Close},
			apply: func(req *pipeline.Request) error {
				_, err := m.Apply(req)
				return err
			},
		}
		return u, nil
	}
	return nil, fmt.Errorf("runner: method %s is not supported in runs yet", v.Method)
}
