package deepcache

import (
	"context"
	"errors"
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/pipeline"
	"github.com/tomebench/tomebench/tome"
)

// A Method is DeepCache prepared for one pipeline and image size: the full and the
// partial UNet, opened. Apply puts it into requests; Close releases both UNets.
type Method struct {
	// Options are the settings it was prepared with.
	Options Options
	// Full is the whole UNet with the cached feature as an extra output; Partial the
	// shallow UNet that takes it as an input.
	Full, Partial *pipeline.UNet
	// Report says where the graphs were cut and what the partial graph computes.
	Report Report
	// ToMe is tome.Patch's report on the full graph when ToMe was composed (nil
	// otherwise).
	ToMe *tome.Report

	p *pipeline.Pipeline
}

// Prepare cuts the pipeline's UNet for opts (see [Cut]) and opens both graphs for
// images of height x width pixels (0 takes the pipeline's default size). The caller
// closes the result.
func Prepare(ctx context.Context, p *pipeline.Pipeline, opts Options, height, width int) (*Method, error) {
	return PrepareWithToMe(ctx, p, opts, nil, height, width)
}

// PrepareWithToMe is Prepare on a ToMe-patched UNet: the folder's UNet is patched with
// topt for the latent size first (as Pipeline.PrepareUNet does), then cut. The partial
// graph keeps the patched blocks that it still computes and takes their partitions
// (drawn per call like any patched UNet's); no reference exists for this combination.
// A nil topt or a ratio of 0 is Prepare.
func PrepareWithToMe(ctx context.Context, p *pipeline.Pipeline, opts Options, topt *tome.Options, height, width int) (*Method, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if topt != nil && topt.Ratio == 0 {
		topt = nil
	}
	if topt != nil {
		if err := topt.Validate(); err != nil {
			return nil, fmt.Errorf("deepcache: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deepcache: %w", err)
	}
	m, err := p.LoadUNetModel()
	if err != nil {
		return nil, err
	}
	var trep *tome.Report
	if topt != nil {
		H, W := height, width
		if H == 0 || W == 0 {
			dh, dw := p.DefaultSize()
			H, W = max(H, dh), max(W, dw)
		}
		_, f := p.VAEScale()
		if H <= 0 || W <= 0 || H%f != 0 || W%f != 0 {
			return nil, fmt.Errorf("deepcache: image size %dx%d: want positive multiples of %d", H, W, f)
		}
		rep, err := tome.Patch(m, tome.PatchOptions{Options: *topt, Latent: [2]int{H / f, W / f}})
		if err != nil {
			return nil, fmt.Errorf("deepcache: ToMe: %w", err)
		}
		if rep.Patched == 0 {
			topt = nil
		}
		trep = &rep
	}
	full, partial, rep, err := Cut(m, opts.Branch)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("deepcache: %w", err)
	}
	name := fmt.Sprintf("%s (DeepCache branch %d", p.Parts.UNet, opts.Branch)
	if topt != nil {
		name += fmt.Sprintf(", ToMe ratio %v", topt.Ratio)
	}
	fo := pipeline.UNetModelOptions{Name: name + ", full)", ExtraOutputs: []string{FeatureName}}
	po := pipeline.UNetModelOptions{Name: name + ", partial)", ExtraInputs: []string{FeatureName}}
	if topt != nil {
		fo.ToMe, fo.Report = topt, trep
		po.ToMe, po.Report = topt, partialReport(trep, partial.Graph().P.Input)
	}
	meth := &Method{Options: opts, Report: rep, ToMe: trep, p: p}
	if meth.Full, err = p.OpenUNetModel(ctx, full, fo); err != nil {
		return nil, err
	}
	if meth.Partial, err = p.OpenUNetModel(ctx, partial, po); err != nil {
		meth.Full.Close()
		return nil, err
	}
	return meth, nil
}

// partialReport is the ToMe report with only the partition inputs the partial graph
// still has.
func partialReport(r *tome.Report, inputs []*onnxpb.ValueInfoProto) *tome.Report {
	keep := map[string]bool{}
	for _, in := range inputs {
		keep[in.Name] = true
	}
	c := *r
	c.RandInputs = nil
	for _, ri := range r.RandInputs {
		if keep[ri.Name] {
			c.RandInputs = append(c.RandInputs, ri)
		}
	}
	return &c
}

// Close releases both UNets; it is safe to call more than once.
func (m *Method) Close() error {
	return errors.Join(m.Full.Close(), m.Partial.Close())
}

// Timesteps returns the timesteps a request of steps inference steps visits (0:
// pipeline.DefaultSteps) with the pipeline's scheduler, one UNet call each.
func (m *Method) Timesteps(steps int) ([]float64, error) {
	if steps == 0 {
		steps = pipeline.DefaultSteps
	}
	s, err := m.p.NewScheduler()
	if err != nil {
		return nil, err
	}
	if steps < 0 || steps > s.Config().NumTrainTimesteps {
		return nil, fmt.Errorf("deepcache: %d steps: want 1-%d", steps, s.Config().NumTrainTimesteps)
	}
	s.SetTimesteps(steps)
	return s.Timesteps(), nil
}

// A Run records what DeepCache did in one request: the planned schedule and the calls
// made. It is filled while Generate runs.
type Run struct {
	// Timesteps are the timesteps planned for, Planned whether each call is full.
	Timesteps []float64
	Planned   []bool
	// Full says, for each UNet call made, whether it was a full one.
	Full []bool
}

// Kinds returns the calls made as the fixtures write them ("FppFpp...").
func (r *Run) Kinds() string { return Kinds(r.Full) }

// Apply makes req run DeepCache: req.UNet becomes the full UNet (compose ToMe with
// PrepareWithToMe, not with req.UNet), UNetForStep picks the full or the partial UNet by
// the helper's schedule, AfterUNet keeps the feature of every full call, BeforeUNet
// feeds the last one to partial calls. Hooks req already has (BeforeUNet, AfterUNet)
// still run, after DeepCache's; a request with its own UNetForStep is refused. A
// Generate whose timesteps are not those planned from req.Steps fails. Apply a Method
// to one request at a time; the returned Run is filled as the request runs.
func (m *Method) Apply(req *pipeline.Request) (*Run, error) {
	if req.UNetForStep != nil {
		return nil, errors.New("deepcache: the request already picks its UNets (UNetForStep)")
	}
	ts, err := m.Timesteps(req.Steps)
	if err != nil {
		return nil, err
	}
	run := &Run{Timesteps: ts, Planned: Schedule(ts, m.Options.Interval)}
	var feature *ort.Tensor
	full := func(step int) bool { return step >= len(run.Planned) || run.Planned[step] }
	req.UNet = m.Full
	req.UNetForStep = func(step int) *pipeline.UNet {
		if full(step) {
			return m.Full
		}
		return m.Partial
	}
	before, after := req.BeforeUNet, req.AfterUNet
	req.BeforeUNet = func(step int, t float64, feeds map[string]*ort.Tensor) error {
		if step >= len(ts) || ts[step] != t {
			return fmt.Errorf("deepcache: step %d runs timestep %v; the schedule was planned for %v", step, t, ts)
		}
		if !full(step) {
			if feature == nil {
				return fmt.Errorf("deepcache: partial call at step %d before any full call", step)
			}
			feeds[FeatureName] = feature
		}
		if before != nil {
			return before(step, t, feeds)
		}
		return nil
	}
	req.AfterUNet = func(step int, t float64, outputs map[string]*ort.Tensor) error {
		if full(step) {
			f, ok := outputs[FeatureName]
			if !ok {
				return fmt.Errorf("deepcache: full call at step %d returned no %s", step, FeatureName)
			}
			feature = f
		}
		run.Full = append(run.Full, full(step))
		if after != nil {
			return after(step, t, outputs)
		}
		return nil
	}
	return run, nil
}
