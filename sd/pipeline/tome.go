package pipeline

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/tome"
)

// UNet returns the UNet for latents of h x w patched with topt (nil: the unpatched UNet),
// opening it on first use and keeping it until Close. The patch is tome.Patch on the
// folder's unet/model.onnx, planned for h x w; the patched graph is opened from memory
// with its external weights read from the original folder, so nothing is written. A
// ratio schedule asks for one UNet per ratio and returns them from Request.UNetForStep.
// When no block is eligible the unpatched UNet comes back (its ToMe field nil).
func (p *Pipeline) UNet(topt *tome.Options, h, w int) (*UNet, error) {
	if topt == nil || topt.Ratio == 0 {
		return p.base, nil
	}
	if err := topt.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if err := p.base.checkLatent(p.latentC, h, w); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := unetKey{*topt, h, w}
	if u, ok := p.variants[key]; ok {
		return u, nil
	}
	u, err := p.patchUNet(*topt, h, w)
	if err != nil {
		return nil, err
	}
	p.variants[key] = u
	return u, nil
}

// patchUNet loads, patches and opens the UNet for one ToMe setting and latent size.
func (p *Pipeline) patchUNet(topt tome.Options, h, w int) (*UNet, error) {
	path := p.Parts.UNet
	m, err := onnx.Load(path)
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot load UNet for patching", Err: err}
	}
	rep, err := tome.Patch(m, tome.PatchOptions{Options: topt, Latent: [2]int{h, w}})
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot apply ToMe", Err: err}
	}
	if rep.Patched == 0 {
		return p.base, nil
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot serialise patched UNet", Err: err}
	}
	so := p.sessionOptions()
	so.ExternalDataDir = p.unetDir()
	s, err := ort.NewSessionFromBytes(b, so)
	if err != nil {
		return nil, &FolderError{Path: path, Msg: fmt.Sprintf("cannot open UNet patched with ratio %v", topt.Ratio), Err: err}
	}
	p.sessions = append(p.sessions, s)
	name := fmt.Sprintf("%s (ToMe ratio %v, %d blocks patched)", path, topt.Ratio, rep.Patched)
	o := topt
	u, err := newUNet(s, name, &o, p.opts.ExtraUNetInputs)
	if err != nil {
		return nil, err
	}
	u.Report = &rep
	if err := u.checkRandInputs(); err != nil {
		return nil, err
	}
	return u, nil
}

// checkRandInputs checks that the model's partition inputs are those the patch report
// lists, with its shapes.
func (u *UNet) checkRandInputs() error {
	want := map[string][]int64{}
	if u.Report != nil {
		for _, r := range u.Report.RandInputs {
			want[r.Name] = r.Shape()
		}
	}
	if len(want) != len(u.rand) {
		return &FolderError{Path: u.Path, Msg: fmt.Sprintf("UNet has %d partition inputs, the patch report lists %d", len(u.rand), len(want))}
	}
	for _, r := range u.rand {
		s, ok := want[r.name]
		if !ok || (r.rows >= 0 && r.rows != s[0]) || (r.cols >= 0 && r.cols != s[1]) {
			return &FolderError{Path: u.Path, Msg: fmt.Sprintf("partition input %s [%d, %d] is not in the patch report", r.name, r.rows, r.cols)}
		}
	}
	return nil
}

// partitionFeeds adds a fresh partition for every tome_rand_idx_<k> input of u to feeds,
// for a UNet call on a batch of n: drawn from part in k order when n is even, the
// top-left partition otherwise (tomesd turns use_rand off for odd batches).
func (u *UNet) partitionFeeds(feeds map[string]*ort.Tensor, part *tome.Partitioner, n int) {
	if u.Report == nil {
		return
	}
	topLeft := tome.NewPartitioner(0, false)
	for _, r := range u.Report.RandInputs {
		src := part
		if !u.ToMe.UseRandFor(n) {
			src = topLeft
		}
		feeds[r.Name] = ort.NewInt64(r.Shape(), r.Draw(src))
	}
}
