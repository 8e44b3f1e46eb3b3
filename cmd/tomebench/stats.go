package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/fideval"
	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/ort"
)

var statsCommand = &command{
	name:    "stats",
	args:    "DIR",
	summary: "Write pytorch-fid statistics (mu, sigma of the Inception features) of an image folder to an .npz.",
	run:     runStats,
}

// featureFlags are the flags both commands share.
type featureFlags struct {
	dims, batch, threads int
	weights, provider    string
}

func (f *featureFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.dims, "dims", 2048, "feature size: 64, 192, 768 or 2048 (pool3)")
	fs.IntVar(&f.batch, "batch-size", 50, "images per network call")
	fs.StringVar(&f.weights, "weights", "", "`PATH` of the .pth weights (default: the per-user cache, downloaded when missing)")
	fs.StringVar(&f.provider, "provider", "cpu", "execution provider: cpu or cuda")
	fs.IntVar(&f.threads, "threads", 0, "intra-op threads (0: ONNX Runtime's default)")
}

func (f *featureFlags) check() error {
	if !slices.Contains(inception.Dims, f.dims) {
		return usagef("--dims %d: want 64, 192, 768 or 2048", f.dims)
	}
	if f.batch <= 0 {
		return usagef("--batch-size must be positive")
	}
	return nil
}

// evaluator returns the fideval.Evaluator the flags describe, with download messages
// and a progress bar on e.stderr.
func (f *featureFlags) evaluator(e *env) (*fideval.Evaluator, error) {
	return fideval.New(fideval.Config{Dims: f.dims, BatchSize: f.batch, Weights: f.weights,
		Session: ort.SessionOptions{Provider: f.provider, Threads: f.threads},
		Log:     e.stderr, Progress: progressBar(e.stderr)})
}

// progressBar returns a fideval progress callback drawing a bar on w, or nil (no bar)
// when w is not a terminal.
func progressBar(w io.Writer) func(done, total int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if done == 0 || bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("inception features"), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		}
		bar.Set(done)
		if done >= total {
			bar.Finish()
		}
	}
}

// isStats reports whether path names a statistics file rather than a folder.
func isStats(path string) bool { return fideval.IsStatsFile(path) }

func runStats(e *env, fs *flag.FlagSet, args []string) error {
	var ff featureFlags
	ff.register(fs)
	out := fs.String("out", "", "`FILE.npz` to write (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("want one image folder and --out FILE.npz")
	}
	if err := ff.check(); err != nil {
		return err
	}
	ev, err := ff.evaluator(e)
	if err != nil {
		return err
	}
	defer ev.Close()
	set, err := ev.Folder(context.Background(), pos[0], false)
	if err != nil {
		return err
	}
	st := set.Stats
	if err := fid.WriteStats(*out, st); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d images, %d-d statistics written to %s\n", pos[0], st.N, st.D, *out)
	return nil
}
