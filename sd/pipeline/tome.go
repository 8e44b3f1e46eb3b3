package pipeline

import (
	"context"
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/tome"
)

// PrepareUNet returns the UNet patched with topt for images of height x width pixels
// (0 takes DefaultSize), for a Request.UNet or a Request.UNetForStep schedule. The patch
// is tome.Patch on the folder's unet/model.onnx, planned for the latent size; the
// patched graph is opened from memory with its external weights read from the original
// folder, so nothing is written.
//
// The caller owns the result and closes it with [UNet.Close] when done; every call opens
// a new session, so a caller that switches between settings keeps the UNets it
// prepared. A nil topt or a ratio of 0 returns [Pipeline.BaseUNet] (its Close does
// nothing). When no block is eligible the unpatched model runs: the result's ToMe is
// nil, its Report says why (0 of len(Blocks) patched, Warnings) and its Close does
// nothing.
func (p *Pipeline) PrepareUNet(ctx context.Context, topt *tome.Options, height, width int) (*UNet, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: preparing UNet: %w", err)
	}
	if topt == nil || topt.Ratio == 0 {
		return p.base, nil
	}
	if err := topt.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	H, W, err := p.imageSize(height, width)
	if err != nil {
		return nil, err
	}
	f := p.vae.info.Downscale
	h, w := H/f, W/f
	if err := p.base.checkLatent(p.latentC, h, w); err != nil {
		return nil, err
	}
	return p.patchUNet(ctx, *topt, h, w)
}

// patchUNet loads, patches and opens the UNet for one ToMe setting and latent size.
func (p *Pipeline) patchUNet(ctx context.Context, topt tome.Options, h, w int) (*UNet, error) {
	path := p.Parts.UNet
	m, err := onnx.Load(path)
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot load UNet for patching", Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: preparing UNet: %w", err)
	}
	rep, err := tome.Patch(m, tome.PatchOptions{Options: topt, Latent: [2]int{h, w}})
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot apply ToMe", Err: err}
	}
	if rep.Patched == 0 {
		// The unpatched model, shared with the pipeline, with the report that says why.
		u := *p.base
		u.Report = &rep
		return &u, nil
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot serialise patched UNet", Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: preparing UNet: %w", err)
	}
	so := p.sessionOptions()
	so.ExternalDataDir = p.unetDir()
	s, err := ort.NewSessionFromBytes(b, so)
	if err != nil {
		return nil, &FolderError{Path: path, Msg: fmt.Sprintf("cannot open UNet patched with ratio %v", topt.Ratio), Err: err}
	}
	name := fmt.Sprintf("%s (ToMe ratio %v, %d blocks patched)", path, topt.Ratio, rep.Patched)
	o := topt
	u, err := newUNet(s, name, &o, p.opts.ExtraUNetInputs)
	if err == nil {
		u.Report = &rep
		err = u.checkRandInputs()
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	u.pipe, u.owned = p, true
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
	if u.ToMe == nil || u.Report == nil {
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

// Blocks returns how many transformer blocks the patch merges and how many it found
// (Report.Patched and len(Report.Blocks)); 0, 0 for a UNet no patch was tried on.
func (u *UNet) Blocks() (patched, total int) {
	if u.Report == nil {
		return 0, 0
	}
	return u.Report.Patched, len(u.Report.Blocks)
}

// Close releases the session of a UNet that PrepareUNet patched. It does nothing for the
// pipeline's base UNet (the pipeline closes that) and is safe to call more than once; a
// closed UNet can no longer be run.
func (u *UNet) Close() error {
	if !u.owned {
		return nil
	}
	u.owned, u.closed = false, true
	return u.Session.Close()
}
