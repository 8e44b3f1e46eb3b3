package fideval

import (
	"context"
	"sync"

	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/fsutil"
	"github.com/tomebench/tomebench/internal/ort"
)

// An Evaluator turns images into Sets with one Inception network, opened on first use
// and kept until Close. Its methods may be called from several goroutines; feature
// extractions run one at a time.
type Evaluator struct {
	cfg Config

	mu          sync.Mutex
	ext         *inception.Extractor
	weightsPath string // Weights resolved: a .pth path or inception.FormulaSpec
	weightsID   string // identity of the weights for reference hashes
}

// New returns an Evaluator for cfg, after checking it; it opens nothing (the network
// is built, and the weights found or downloaded, on the first extraction).
func New(cfg Config) (*Evaluator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Evaluator{cfg: cfg}, nil
}

// Dims is the feature size.
func (e *Evaluator) Dims() int { return e.cfg.Dims }

// Close releases the network, if it was opened. The Evaluator may not be used after.
func (e *Evaluator) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ext == nil {
		return nil
	}
	err := e.ext.Close()
	e.ext = nil
	return err
}

// resolveWeights finds the weights (downloading the real ones when missing) and their
// identity: the formula spec itself, or the sha256 of the .pth file. e.mu is held.
func (e *Evaluator) resolveWeights(ctx context.Context) error {
	if e.weightsID != "" {
		return nil
	}
	path := e.cfg.Weights
	if path == inception.FormulaSpec {
		e.weightsPath, e.weightsID = path, path
		return nil
	}
	if path == "" {
		p, err := inception.EnsureWeights(ctx, e.cfg.Log)
		if err != nil {
			return err
		}
		path = p
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return err
	}
	e.weightsPath, e.weightsID = path, "sha256:"+sum
	return nil
}

// extractor returns the network, opening it on first use. e.mu is held.
func (e *Evaluator) extractor(ctx context.Context) (*inception.Extractor, error) {
	if e.ext != nil {
		return e.ext, nil
	}
	if err := ort.Init(); err != nil {
		return nil, err
	}
	if err := e.resolveWeights(ctx); err != nil {
		return nil, err
	}
	sd, err := inception.LoadWeights(ctx, e.weightsPath, e.cfg.Log)
	if err != nil {
		return nil, err
	}
	e.ext, err = inception.NewExtractor(sd, inception.Config{Dims: e.cfg.Dims, BatchSize: e.cfg.BatchSize,
		Session: e.cfg.Session, Progress: e.cfg.Progress})
	return e.ext, err
}

func fileSHA256(path string) (string, error) { return fsutil.SHA256(path) }
