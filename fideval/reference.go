package fideval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/npy"
)

// referenceFormat versions the hash and the cache file; change it when either changes
// meaning, so old cache entries are never read.
const referenceFormat = "tomebench fideval reference v1"

// Reference returns the Set of a reference (the real images FIDs are measured
// against) with Set.Hash naming its content.
//
// For an image folder the hash is the sha256 over referenceFormat, Dims, the weights'
// identity (inception.FormulaSpec itself, or the .pth file's sha256) and, in name
// order, each image's file name and content sha256. The statistics, and the features
// when N <= Dims, are cached in cacheDir as <hash>.npz (written to a temporary file and
// renamed, so a reader never sees a partial one); a later call with the same images,
// size and weights reads that file and runs no network. cacheDir "" means
// references/ under inception.CacheDir.
//
// For an .npz the hash is the sha256 of the file and nothing is cached.
func (e *Evaluator) Reference(ctx context.Context, path, cacheDir string) (*Set, error) {
	if IsStatsFile(path) {
		sum, err := fileSHA256(path)
		if err != nil {
			return nil, err
		}
		s, err := e.Load(ctx, path, false)
		if err != nil {
			return nil, err
		}
		s.Hash = sum
		return s, nil
	}
	if st, err := os.Stat(path); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: not an image folder or an .npz statistics file", path)
	}
	files, err := listImages(path)
	if err != nil {
		return nil, err
	}
	if cacheDir == "" {
		d, err := inception.CacheDir()
		if err != nil {
			return nil, err
		}
		cacheDir = filepath.Join(d, "references")
	}
	hash, err := e.referenceHash(ctx, files)
	if err != nil {
		return nil, err
	}
	cache := filepath.Join(cacheDir, hash+".npz")
	if s, err := readCache(cache, e.cfg.Dims); err == nil {
		s.Path, s.Hash = path, hash
		return s, nil
	}
	s, err := e.Files(ctx, files, false)
	if err != nil {
		return nil, err
	}
	s.Path, s.Hash = path, hash
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, err
	}
	if err := writeCache(cache, s); err != nil {
		return nil, err
	}
	return s, nil
}

// referenceHash is the content hash of Reference (see there) for files.
func (e *Evaluator) referenceHash(ctx context.Context, files []string) (string, error) {
	e.mu.Lock()
	err := e.resolveWeights(ctx)
	id := e.weightsID
	e.mu.Unlock()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\ndims %d\nweights %s\n", referenceFormat, e.cfg.Dims, strconv.Quote(id))
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		sum, err := fileSHA256(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s\n", strconv.Quote(filepath.Base(f)), sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeCache writes s's statistics, N and (when kept) features, atomically.
func writeCache(path string, s *Set) error {
	st := s.Stats
	arrays := map[string]*npy.Array{
		"mu":    npy.NewFloat64([]int{st.D}, st.Mu),
		"sigma": npy.NewFloat64([]int{st.D, st.D}, st.Sigma),
		"n":     npy.NewInt64([]int{1}, []int64{int64(s.N)}),
	}
	if s.Features != nil {
		// The rows are float32 network outputs widened to float64: float32 is lossless.
		raw := s.Features.RawMatrix().Data
		f := make([]float32, len(raw))
		for i, v := range raw {
			f[i] = float32(v)
		}
		arrays["features"] = npy.NewFloat32([]int{s.N, st.D}, f)
	}
	return npy.WriteNPZFile(path, arrays)
}

// readCache reads a file written by writeCache, checking its shapes against dims.
func readCache(path string, dims int) (*Set, error) {
	a, err := npy.ReadNPZFile(path)
	if err != nil {
		return nil, err
	}
	mu, sigma, n := a["mu"], a["sigma"], a["n"]
	if mu == nil || sigma == nil || n == nil || mu.Len() != dims || sigma.Len() != dims*dims || n.Len() != 1 {
		return nil, fmt.Errorf("fideval: %s: not a %d-d reference cache file", path, dims)
	}
	s := &Set{Kind: KindImages, N: int(n.Int64s()[0])}
	s.Stats = &fid.Stats{D: dims, Mu: mu.Float64s(), Sigma: sigma.Float64s(), N: s.N}
	if f := a["features"]; f != nil {
		if s.N < 2 || f.Len() != s.N*dims {
			return nil, fmt.Errorf("fideval: %s: features do not match %d %d-d rows", path, s.N, dims)
		}
		s.Features = mat.NewDense(s.N, dims, f.Float64s())
	}
	return s, nil
}
