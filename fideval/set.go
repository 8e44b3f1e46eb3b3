package fideval

import (
	"context"
	"fmt"
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/inception"
)

// Kinds of Set.
const (
	KindImages     = "images"     // features computed from image files
	KindStatistics = "statistics" // read from a pytorch-fid .npz
)

// A Set is one side of a comparison: the statistics of a set of images, and their
// feature rows when kept.
type Set struct {
	Path string // the folder or .npz it came from ("" for Files)
	Kind string // KindImages or KindStatistics
	N    int    // number of images; 0 for a statistics file
	// Stats are the mean and covariance of the features.
	Stats *fid.Stats
	// Features are the feature rows (N×Dims, in file order); nil unless kept.
	Features *mat.Dense
	// Hash identifies the content (set by Reference; "" otherwise).
	Hash string
}

// IsStatsFile reports whether path names a pytorch-fid statistics file (by its .npz
// extension) rather than an image folder.
func IsStatsFile(path string) bool { return strings.HasSuffix(path, ".npz") }

// Load reads the Set at path: an .npz as statistics (fid.ReadStats; no features, keep
// does not apply), a folder as images (Folder). Anything else is an error naming path.
func (e *Evaluator) Load(ctx context.Context, path string, keep bool) (*Set, error) {
	if IsStatsFile(path) {
		st, err := fid.ReadStats(path)
		if err != nil {
			return nil, err
		}
		return &Set{Path: path, Kind: KindStatistics, N: st.N, Stats: st}, nil
	}
	if st, err := os.Stat(path); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: not an image folder or an .npz statistics file", path)
	}
	return e.Folder(ctx, path, keep)
}

// Folder computes the Set of the images in dir (inception.ListImages: pytorch-fid's
// extensions, in name order). It keeps the features when keep is set or when there are
// no more images than dimensions (the exact FID is then cheapest from the features).
// Fewer than 2 images is an error naming dir.
func (e *Evaluator) Folder(ctx context.Context, dir string, keep bool) (*Set, error) {
	files, err := listImages(dir)
	if err != nil {
		return nil, err
	}
	s, err := e.Files(ctx, files, keep)
	if err != nil {
		return nil, err
	}
	s.Path = dir
	return s, nil
}

// listImages lists dir's images and checks there are at least 2.
func listImages(dir string) ([]string, error) {
	files, err := inception.ListImages(dir)
	if err != nil {
		return nil, err
	}
	if len(files) < 2 {
		return nil, fmt.Errorf("%s: %d images (%s), need at least 2", dir, len(files), strings.Join(inception.ImageExtensions, ", "))
	}
	return files, nil
}

// Files computes the Set of the given image files, in their order, keeping the
// features as Folder does. A cancelled ctx stops it between batches with ctx.Err().
func (e *Evaluator) Files(ctx context.Context, files []string, keep bool) (*Set, error) {
	if len(files) < 2 {
		return nil, fmt.Errorf("fideval: %d images, need at least 2", len(files))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ext, err := e.extractor(ctx)
	if err != nil {
		return nil, err
	}
	d := e.cfg.Dims
	keep = keep || len(files) <= d
	acc := fid.NewAccumulator(d)
	var rows []float64
	if keep {
		rows = make([]float64, 0, len(files)*d)
	}
	err = ext.Files(ctx, files, func(_ int, f []float32) error {
		acc.AddFloat32(f)
		if keep {
			for _, v := range f {
				rows = append(rows, float64(v))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &Set{Kind: KindImages, N: len(files), Stats: acc.Stats()}
	if keep {
		s.Features = mat.NewDense(len(files), d, rows)
	}
	return s, nil
}
