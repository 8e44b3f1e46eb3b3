package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/tome"
)

// UNetModelOptions say how [Pipeline.OpenUNetModel] opens a UNet graph that the caller
// rewrote from this pipeline's UNet (a cut or an extended graph, as DeepCache makes).
type UNetModelOptions struct {
	// Name names the model in messages ("": the folder's UNet path).
	Name string
	// ExtraInputs are inputs besides sample, timestep, encoder_hidden_states and
	// tome_rand_idx_<k> that a Request.BeforeUNet hook feeds on every call.
	ExtraInputs []string
	// ExtraOutputs are outputs fetched on every call beside the noise prediction and
	// handed to Request.AfterUNet.
	ExtraOutputs []string
	// ToMe and Report describe a ToMe-patched graph (as PrepareUNet sets them): the
	// options say how partitions are drawn, Report.RandInputs which inputs take them.
	// Both nil for an unpatched graph.
	ToMe   *tome.Options
	Report *tome.Report
}

// LoadUNetModel loads the pipeline's UNet graph (unet/model.onnx) for a rewrite. Its
// external weights are not read; [Pipeline.OpenUNetModel] finds them in the folder.
func (p *Pipeline) LoadUNetModel() (*onnx.Model, error) {
	m, err := onnx.Load(p.Parts.UNet)
	if err != nil {
		return nil, &FolderError{Path: p.Parts.UNet, Msg: "cannot load UNet", Err: err}
	}
	return m, nil
}

// OpenUNetModel opens m, a graph derived from this pipeline's UNet, as a UNet that a
// Request runs (Request.UNet or Request.UNetForStep). External weights are read from
// m.Dir (the UNet's folder for a model from LoadUNetModel). The caller owns the result
// and closes it with [UNet.Close].
func (p *Pipeline) OpenUNetModel(ctx context.Context, m *onnx.Model, o UNetModelOptions) (*UNet, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: opening UNet: %w", err)
	}
	name := o.Name
	if name == "" {
		name = p.Parts.UNet
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, &FolderError{Path: name, Msg: "cannot serialise UNet", Err: err}
	}
	so := p.sessionOptions()
	so.ExternalDataDir = m.Dir
	if so.ExternalDataDir == "" {
		so.ExternalDataDir = p.unetDir()
	}
	s, err := ort.NewSessionFromBytes(b, so)
	if err != nil {
		return nil, &FolderError{Path: name, Msg: "cannot open UNet", Err: err}
	}
	extra := slices.Concat(p.opts.ExtraUNetInputs, o.ExtraInputs)
	u, err := newUNet(s, name, o.ToMe, extra)
	if err == nil {
		u.Report = o.Report
		if o.ToMe != nil {
			err = u.checkRandInputs()
		}
	}
	if err == nil {
		err = u.setFetch(o.ExtraOutputs)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	u.pipe, u.owned = p, true
	return u, nil
}

// setFetch checks that the model has the outputs names and fetches them on every call.
func (u *UNet) setFetch(names []string) error {
	outs := u.Session.Outputs()
	for _, n := range names {
		if n == u.output.Name || !slices.ContainsFunc(outs, func(o ort.IOInfo) bool { return o.Name == n }) {
			return &FolderError{Path: u.Path, Msg: fmt.Sprintf("UNet has no extra output %q; its outputs are %s", n, ioNames(outs))}
		}
	}
	u.fetch = slices.Clone(names)
	return nil
}

// ExtraOutputs returns the outputs fetched on every call beside the noise prediction
// (see UNetModelOptions.ExtraOutputs).
func (u *UNet) ExtraOutputs() []string { return slices.Clone(u.fetch) }

// runFetch is run that also returns the extra outputs (nil when there are none).
func (u *UNet) runFetch(feeds map[string]*ort.Tensor, sampleShape []int64) ([]float32, map[string]*ort.Tensor, time.Duration, error) {
	if len(u.fetch) == 0 {
		pred, took, err := u.run(feeds, sampleShape)
		return pred, nil, took, err
	}
	var shapes map[string][]int64
	if u.output.DType == ort.Float16 {
		shapes = map[string][]int64{u.output.Name: sampleShape}
	}
	start := time.Now()
	out, err := u.Session.RunWithShapes(feeds, append([]string{u.output.Name}, u.fetch...), shapes)
	took := time.Since(start)
	if err != nil {
		return nil, nil, took, fmt.Errorf("UNet %s: %w", u.Path, err)
	}
	t := out[u.output.Name]
	if !slices.Equal(t.Shape, sampleShape) {
		return nil, nil, took, &FolderError{Path: u.Path, Msg: fmt.Sprintf("UNet output %q has shape %v; want the sample's %v", u.output.Name, t.Shape, sampleShape)}
	}
	delete(out, u.output.Name)
	return t.Float32s(), out, took, nil
}
