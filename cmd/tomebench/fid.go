package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/fideval"
)

var fidCommand = &command{
	name: "fid",
	args: "PATH1 PATH2",
	summary: "Compute the FID between two image folders or pytorch-fid .npz statistics, as pytorch-fid does.\n" +
		"Features are pytorch-fid's InceptionV3 (weights pt_inception-2015-12-05-6726825d.pth, found in\n" +
		"the cache or downloaded). The value is exact even with fewer images than dimensions, where\n" +
		"pytorch-fid reads slightly low (--method pytorch-fid reproduces it). Plain output ends with\n" +
		"'FID: <value>'. With --save-stats, PATH1 is an image folder and PATH2 the .npz to write.",
	run: runFID,
}

func runFID(e *env, fs *flag.FlagSet, args []string) error {
	var ff featureFlags
	ff.register(fs)
	saveStats := fs.Bool("save-stats", false, "write the statistics of the image folder PATH1 to the .npz PATH2 (no FID), as pytorch-fid")
	kid := fs.Bool("kid", false, "also compute KID (needs image folders, not statistics)")
	asJSON := fs.Bool("json", false, "print a JSON report instead of text")
	method := fs.String("method", "exact", "exact, or pytorch-fid to reproduce its scipy sqrtm value")
	interval := fs.Int("interval", 0, "also report the spread of the FID over --reps subsamples of this many images per set, drawn without replacement (needs image folders)")
	reps := fs.Int("reps", 20, "subsamples for --interval")
	fidInf := fs.Int("fid-inf", 0, "also extrapolate FID to infinitely many PATH1 images (Chong & Forsyth 2020) from this many subsample sizes between n/5 and n (needs image folders)")
	seed := fs.Uint64("seed", 0, "seed for the subsamples of --kid, --interval and --fid-inf")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want two paths (image folders or .npz statistics), got %d", len(pos))
	}
	if err := ff.check(); err != nil {
		return err
	}
	m := fid.Exact
	switch *method {
	case "exact":
	case "pytorch-fid":
		m = fid.PytorchFIDCompat
	default:
		return usagef("--method %q: want exact or pytorch-fid", *method)
	}
	if *saveStats {
		if isStats(pos[0]) || !isStats(pos[1]) {
			return usagef("--save-stats wants an image folder and an .npz file to write")
		}
		return runStats(e, flag.NewFlagSet("stats", flag.ContinueOnError), []string{pos[0], "--out", pos[1],
			"--dims", strconv.Itoa(ff.dims), "--batch-size", strconv.Itoa(ff.batch), "--weights", ff.weights,
			"--provider", ff.provider, "--threads", strconv.Itoa(ff.threads)})
	}
	needFeatures := *kid || *interval > 0 || *fidInf > 0
	if needFeatures && (isStats(pos[0]) || isStats(pos[1])) {
		return usagef("--kid, --interval and --fid-inf need the features, so both paths must be image folders")
	}
	if *interval < 0 || *reps < 2 || *fidInf < 0 || *fidInf == 1 {
		return usagef("--interval must be >= 0, --reps >= 2 and --fid-inf 0 or >= 2")
	}
	ev, err := ff.evaluator(e)
	if err != nil {
		return err
	}
	defer ev.Close()
	ctx := context.Background()
	sets := make([]*fideval.Set, 2)
	for i, p := range pos {
		if sets[i], err = ev.Load(ctx, p, needFeatures); err != nil {
			return err
		}
	}
	rep, err := fideval.Compare(sets[0], sets[1], fideval.CompareOptions{Method: m, KID: *kid,
		Interval: *interval, Reps: *reps, FIDInf: *fidInf, Seed: *seed})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	for _, in := range rep.Inputs {
		if in.Kind == fideval.KindImages {
			fmt.Fprintf(e.stdout, "%s: %d images\n", in.Path, in.Images)
		} else {
			fmt.Fprintf(e.stdout, "%s: statistics\n", in.Path)
		}
	}
	if rep.KID != nil {
		fmt.Fprintf(e.stdout, "KID: %s ± %s (%d subsets of %d)\n", fmtFloat(rep.KID.Mean), fmtFloat(rep.KID.Std), rep.KID.Subsets, rep.KID.SubsetSize)
	}
	if iv := rep.Interval; iv != nil {
		fmt.Fprintf(e.stdout, "FID over %d subsamples of %d images: mean %s, std %s, %g%% range [%s, %s]\n",
			iv.Reps, iv.Size, fmtFloat(iv.Mean), fmtFloat(iv.Std), 100*iv.Level, fmtFloat(iv.Lo), fmtFloat(iv.Hi))
	}
	if fi := rep.FIDInf; fi != nil {
		fmt.Fprintf(e.stdout, "FID∞: %s (FID_N = FID∞ + %s/N over N = %v, R² %.4f)\n", fmtFloat(fi.FIDInf), fmtFloat(fi.Slope), fi.Sizes, fi.R2)
	}
	fmt.Fprintf(e.stdout, "FID: %s\n", fmtFloat(rep.FID))
	return nil
}

// fmtFloat prints the shortest decimal that reads back as v (Python's repr).
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
