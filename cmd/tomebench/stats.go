package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
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

// features computes statistics (and, when keep, the feature rows) of image folders,
// opening the network on first use.
type features struct {
	e   *env
	f   featureFlags
	ext *inception.Extractor
}

func (s *features) close() {
	if s.ext != nil {
		s.ext.Close()
	}
}

// folder returns the statistics of the images in dir, and their features when keep is
// set or, with small, when there are no more images than dimensions (where the exact
// FID is cheapest from the features).
func (s *features) folder(dir string, keep, small bool) (*fid.Stats, *mat.Dense, error) {
	files, err := inception.ListImages(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(files) < 2 {
		return nil, nil, fmt.Errorf("%s: %d images (%s), need at least 2", dir, len(files), strings.Join(inception.ImageExtensions, ", "))
	}
	if s.ext == nil {
		if err := ort.Init(); err != nil {
			return nil, nil, err
		}
		sd, err := inception.LoadWeights(context.Background(), s.f.weights, s.e.stderr)
		if err != nil {
			return nil, nil, err
		}
		s.ext, err = inception.NewExtractor(sd, inception.Config{Dims: s.f.dims, BatchSize: s.f.batch,
			Session: ort.SessionOptions{Provider: s.f.provider, Threads: s.f.threads}, Progress: s.e.stderr})
		if err != nil {
			return nil, nil, err
		}
	}
	keep = keep || (small && len(files) <= s.f.dims)
	acc := fid.NewAccumulator(s.f.dims)
	var rows []float64
	err = s.ext.Files(files, func(_ int, f []float32) error {
		acc.AddFloat32(f)
		if keep {
			for _, v := range f {
				rows = append(rows, float64(v))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var x *mat.Dense
	if keep {
		x = mat.NewDense(len(files), s.f.dims, rows)
	}
	return acc.Stats(), x, nil
}

// isStats reports whether path names a statistics file rather than a folder.
func isStats(path string) bool { return strings.HasSuffix(path, ".npz") }

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
	src := &features{e: e, f: ff}
	defer src.close()
	st, _, err := src.folder(pos[0], false, false)
	if err != nil {
		return err
	}
	if err := fid.WriteStats(*out, st); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d images, %d-d statistics written to %s\n", pos[0], st.N, st.D, *out)
	return nil
}
