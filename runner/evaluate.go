package runner

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/clipscore"
	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/fidelity"
	"github.com/tomebench/tomebench/fideval"
	"github.com/tomebench/tomebench/internal/ort"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	CacheDir string // reference statistics are cached in CacheDir/fid-reference
	Events   func(Event)
	Log      io.Writer
}

// Evaluate computes the metrics of the run in dir (every image of plan must exist) and
// writes them to metrics.json atomically:
//
//   - with an fid section: each variant's images against the reference — an image
//     folder or .npz (statistics cached by content), or "baseline", the baseline
//     variant's images — by fideval.Compare, the code behind `tomebench fid VARIANT REF`;
//   - with a baseline variant: PSNR and SSIM of each image against the baseline's
//     image of the same index (same prompt, same seed), mean and standard deviation.
func Evaluate(ctx context.Context, dir string, plan *experiments.Plan, opts EvalOptions) (*experiments.Metrics, error) {
	emit := opts.Events
	if emit == nil {
		emit = func(Event) {}
	}
	n := len(plan.Prompts.Prompts)
	files := func(id string) []string {
		out := make([]string, n)
		for j := range n {
			out[j] = filepath.Join(dir, filepath.FromSlash(ImagePath(id, j)))
		}
		return out
	}
	m := &experiments.Metrics{}
	for _, v := range plan.Variants {
		m.Variants = append(m.Variants, experiments.VariantMetric{Variant: v.ID, Images: n})
	}
	if f := plan.FID; f != nil {
		if err := evalFID(ctx, plan, f, m, files, opts, emit); err != nil {
			return nil, err
		}
	}
	if cp := plan.CLIP; cp != nil {
		if err := evalCLIP(ctx, plan, cp, m, files, emit); err != nil {
			return nil, err
		}
	}
	if plan.Baseline != "" {
		emit(Event{Kind: EventMetrics, Msg: "PSNR and SSIM against the baseline"})
		base := files(plan.Baseline)
		for i, v := range plan.Variants {
			if v.ID == plan.Baseline {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			psnr, ssim, err := fidelityTo(base, files(v.ID))
			if err != nil {
				return nil, err
			}
			m.Variants[i].PSNR, m.Variants[i].SSIM = psnr, ssim
		}
	}
	if err := writeJSONAtomic(filepath.Join(dir, "metrics.json"), m); err != nil {
		return nil, err
	}
	return m, nil
}

// evalFID fills the FID (KID, interval) of every variant.
func evalFID(ctx context.Context, plan *experiments.Plan, f *experiments.FIDPlan, m *experiments.Metrics,
	files func(string) []string, opts EvalOptions, emit func(Event)) error {
	if err := ort.Init(); err != nil {
		return err
	}
	ev, err := fideval.New(fideval.Config{Dims: f.Dims, BatchSize: f.BatchSize, Weights: f.Weights,
		Session: sessionOptions(plan), Log: opts.Log})
	if err != nil {
		return err
	}
	defer ev.Close()
	method := fid.Exact
	if f.Method == "pytorch-fid" {
		method = fid.PytorchFIDCompat
	}
	m.Weights, m.Dims, m.Method = f.Weights, f.Dims, method.String()
	keep := f.KID || f.Interval > 0
	emit(Event{Kind: EventMetrics, Msg: "FID reference " + f.Reference})
	var ref *fideval.Set
	if f.Reference == "baseline" {
		if plan.Baseline == "" {
			return fmt.Errorf("runner: fid.reference is baseline, but the plan has no baseline variant")
		}
		if ref, err = ev.Files(ctx, files(plan.Baseline), keep); err != nil {
			return err
		}
		m.Reference = experiments.ReferenceInfo{Path: "baseline", Kind: "baseline", Images: ref.N, Hash: plan.Baseline}
	} else {
		if ref, err = ev.Reference(ctx, f.Reference, filepath.Join(opts.CacheDir, "fid-reference")); err != nil {
			return err
		}
		if keep && ref.Features == nil && !fideval.IsStatsFile(f.Reference) {
			// The cache keeps features only up to Dims images; KID and intervals need them.
			hash := ref.Hash
			if ref, err = ev.Folder(ctx, f.Reference, true); err != nil {
				return err
			}
			ref.Hash = hash
		}
		if keep && ref.Features == nil {
			return fmt.Errorf("runner: %s: KID and FID intervals need the reference images' features; statistics (.npz) hold none", f.Reference)
		}
		m.Reference = experiments.ReferenceInfo{Path: f.Reference, Kind: ref.Kind, Images: ref.N, Hash: ref.Hash}
	}
	for i, v := range plan.Variants {
		emit(Event{Kind: EventMetrics, Variant: v.ID, Label: v.Label, Msg: "FID of " + v.Label})
		set, err := ev.Files(ctx, files(v.ID), keep)
		if err != nil {
			return err
		}
		rep, err := fideval.Compare(set, ref, fideval.CompareOptions{Method: method, KID: f.KID,
			Interval: f.Interval, Reps: f.Reps, Seed: plan.Generation.Seed})
		if err != nil {
			return fmt.Errorf("runner: FID of %s: %w", v.Label, err)
		}
		vm := &m.Variants[i]
		fidValue := rep.FID
		vm.FID = &fidValue
		if k := rep.KID; k != nil {
			vm.KID = &experiments.KIDValue{Mean: k.Mean, Std: k.Std, Subsets: k.Subsets, SubsetSize: k.SubsetSize}
		}
		if iv := rep.Interval; iv != nil {
			vm.Interval = &experiments.Interval{Size: iv.Size, Reps: iv.Reps, Mean: iv.Mean, Std: iv.Std, Lo: iv.Lo, Hi: iv.Hi, Level: iv.Level}
		}
		vm.Warnings = append(vm.Warnings, rep.Warnings...)
	}
	return nil
}

// evalCLIP fills each variant's CLIP score: its images against their own prompts.
func evalCLIP(ctx context.Context, plan *experiments.Plan, cp *experiments.CLIPPlan, m *experiments.Metrics,
	files func(string) []string, emit func(Event)) error {
	if err := ort.Init(); err != nil {
		return err
	}
	model, err := clipscore.Open(cp.Model, clipscore.Options{Session: sessionOptions(plan), BatchSize: cp.BatchSize})
	if err != nil {
		return err
	}
	defer model.Close()
	for i, v := range plan.Variants {
		emit(Event{Kind: EventMetrics, Variant: v.ID, Label: v.Label, Msg: "CLIP score of " + v.Label})
		imgs := files(v.ID)
		pairs := make([]clipscore.Pair, len(imgs))
		for j, f := range imgs {
			pairs[j] = clipscore.Pair{Image: f, Prompt: plan.Prompts.Prompts[j]}
		}
		res, err := model.ScoreFiles(ctx, pairs, nil)
		if err != nil {
			return fmt.Errorf("runner: CLIP score of %s: %w", v.Label, err)
		}
		ms := meanStd(res.Scores)
		m.Variants[i].CLIP = &experiments.CLIPValue{Score: res.Score, Mean: res.Mean, Std: ms.Std, N: ms.N, LongPrompts: len(res.LongPrompts)}
		m.Variants[i].Warnings = append(m.Variants[i].Warnings, res.Warnings...)
	}
	return nil
}

// fidelityTo returns PSNR and SSIM of each image in files against base's image of the
// same index.
func fidelityTo(base, files []string) (psnr, ssim *experiments.MeanStd, err error) {
	var ps, ss []float64
	identical := 0
	for j := range files {
		a, err := readPNG(base[j])
		if err != nil {
			return nil, nil, err
		}
		b, err := readPNG(files[j])
		if err != nil {
			return nil, nil, err
		}
		r, err := fidelity.Compare(a, b)
		if err != nil {
			return nil, nil, fmt.Errorf("runner: %s vs %s: %w", files[j], base[j], err)
		}
		p, s := r.PSNR, r.SSIM
		if math.IsInf(p, 1) {
			identical++
		} else {
			ps = append(ps, p)
		}
		ss = append(ss, s)
	}
	psnr = meanStd(ps)
	psnr.Identical = identical
	return psnr, meanStd(ss), nil
}

// meanStd returns the mean and sample standard deviation of xs.
func meanStd(xs []float64) *experiments.MeanStd {
	r := &experiments.MeanStd{N: len(xs)}
	if len(xs) == 0 {
		return r
	}
	for _, x := range xs {
		r.Mean += x
	}
	r.Mean /= float64(len(xs))
	if len(xs) > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - r.Mean) * (x - r.Mean)
		}
		r.Std = math.Sqrt(ss / float64(len(xs)-1))
	}
	return r
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("runner: %s: %w", path, err)
	}
	return img, nil
}

// sessionOptions are the ONNX Runtime options of the run's provider and threads.
func sessionOptions(plan *experiments.Plan) ort.SessionOptions {
	return ort.SessionOptions{Provider: plan.Model.Provider, Threads: plan.Model.Threads}
}
