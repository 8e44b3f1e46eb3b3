package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
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

// fidReport is the --json output of tomebench fid.
type fidReport struct {
	FID      float64         `json:"fid"`
	Method   string          `json:"method"`
	Dims     int             `json:"dims"`
	Inputs   []fidInput      `json:"inputs"`
	MeanTerm float64         `json:"mean_term"`
	Trace1   float64         `json:"trace1"`
	Trace2   float64         `json:"trace2"`
	TrSqrt   float64         `json:"tr_sqrt"`
	KID      *kidReport      `json:"kid,omitempty"`
	Interval *intervalReport `json:"interval,omitempty"`
	FIDInf   *fidInfReport   `json:"fid_inf,omitempty"`
	Warnings []string        `json:"warnings"`
}

type fidInput struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`             // "images" or "statistics"
	Images int    `json:"images,omitempty"` // number of images (0 for a statistics file)
}

type kidReport struct {
	Mean       float64 `json:"mean"`
	Std        float64 `json:"std"`
	Subsets    int     `json:"subsets"`
	SubsetSize int     `json:"subset_size"`
}

// intervalReport summarises FIDs over repeated subsamples (--interval).
type intervalReport struct {
	Size  int     `json:"size"`
	Reps  int     `json:"reps"`
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// fidInfReport is the 1/N extrapolation of FID (--fid-inf).
type fidInfReport struct {
	FIDInf float64   `json:"fid_inf"`
	Slope  float64   `json:"slope"`
	R2     float64   `json:"r2"`
	Sizes  []int     `json:"sizes"`
	FIDs   []float64 `json:"fids"`
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
	src := &features{e: e, f: ff}
	defer src.close()
	rep := fidReport{Method: m.String(), Dims: ff.dims}
	stats := make([]*fid.Stats, 2)
	feats := make([]*mat.Dense, 2)
	for i, p := range pos {
		if isStats(p) {
			if stats[i], err = fid.ReadStats(p); err != nil {
				return err
			}
			rep.Inputs = append(rep.Inputs, fidInput{Path: p, Kind: "statistics"})
			continue
		}
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: not an image folder or an .npz statistics file", p)
		}
		if stats[i], feats[i], err = src.folder(p, needFeatures, m == fid.Exact); err != nil {
			return err
		}
		rep.Inputs = append(rep.Inputs, fidInput{Path: p, Kind: "images", Images: stats[i].N})
	}
	if stats[0].D != stats[1].D {
		return fmt.Errorf("%s has %d-d statistics, %s %d-d", pos[0], stats[0].D, pos[1], stats[1].D)
	}
	var res *fid.Result
	if m == fid.Exact && feats[0] != nil && feats[1] != nil {
		res, err = fid.FrechetFeatures(feats[0], feats[1])
	} else {
		res, err = fid.Frechet(stats[0], stats[1], m)
	}
	if err != nil {
		return err
	}
	rep.FID, rep.MeanTerm, rep.Trace1, rep.Trace2, rep.TrSqrt = res.FID, res.MeanTerm, res.Trace1, res.Trace2, res.TrSqrt
	rep.Warnings = []string{}
	for _, w := range res.Warnings {
		rep.Warnings = append(rep.Warnings, w.Error())
	}
	if *kid {
		k := fid.KID(feats[0], feats[1], fid.KIDOptions{Seed: *seed})
		rep.KID = &kidReport{k.Mean, k.Std, k.Subsets, k.SubsetSize}
		for _, w := range k.Warnings {
			rep.Warnings = append(rep.Warnings, w.Error())
		}
	}
	if *interval > 0 {
		iv, err := fid.SubsampleInterval(feats[0], feats[1], *interval, *reps, 0.95, *seed)
		if err != nil {
			return err
		}
		rep.Interval = &intervalReport{iv.Size, len(iv.FIDs), iv.Mean, iv.Std, iv.Lo, iv.Hi, iv.Level}
		for _, w := range iv.Warnings {
			rep.Warnings = append(rep.Warnings, w.Error())
		}
	}
	if *fidInf > 0 {
		n, _ := feats[0].Dims()
		ex, err := fid.FIDInfinity(feats[0], feats[1], fidInfSizes(n, *fidInf), *seed)
		if err != nil {
			return err
		}
		rep.FIDInf = &fidInfReport{ex.FIDInf, ex.Slope, ex.R2, ex.Sizes, ex.FIDs}
		for _, w := range ex.Warnings {
			rep.Warnings = append(rep.Warnings, w.Error())
		}
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
		if in.Kind == "images" {
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

// fidInfSizes spreads k subsample sizes evenly in 1/N between n/5 and n (the fit is
// linear in 1/N), at least 2 images each.
func fidInfSizes(n, k int) []int {
	lo := max(n/5, 2)
	sizes := make([]int, k)
	for i := range sizes {
		inv := 1/float64(lo) + (1/float64(n)-1/float64(lo))*float64(i)/float64(k-1)
		sizes[i] = min(n, max(2, int(1/inv+0.5)))
	}
	return sizes
}

// fmtFloat prints the shortest decimal that reads back as v (Python's repr).
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
