package fideval

import (
	"fmt"
	"io"
	"slices"

	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/ort"
)

// Defaults of Config: pytorch-fid's --dims and --batch-size.
const (
	DefaultDims      = 2048
	DefaultBatchSize = 50
)

// Config configures an Evaluator. The zero value is valid: 2048-d pool3 features,
// batches of 50, the real weights, ONNX Runtime's default CPU session.
type Config struct {
	// Dims is the feature size, one of inception.Dims (64, 192, 768, 2048); 0 means
	// DefaultDims.
	Dims int
	// BatchSize is the most images per network call; 0 means DefaultBatchSize.
	BatchSize int
	// Weights names the Inception weights: a .pth path, "" for the real weights
	// (found in the caches or downloaded, inception.EnsureWeights), or
	// inception.FormulaSpec for the deterministic test weights.
	Weights string
	// Session configures ONNX Runtime (provider, threads).
	Session ort.SessionOptions
	// Log, when set, receives the weights download's messages.
	Log io.Writer
	// Progress, when set, is called while features are extracted with the images done
	// so far and the total of the current folder: first with done = 0, then after
	// each batch. Reference cache hits make no calls.
	Progress func(done, total int)
}

// withDefaults returns c with its zero fields set to the defaults, or an error naming
// the first bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Dims == 0 {
		c.Dims = DefaultDims
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if !slices.Contains(inception.Dims, c.Dims) {
		return c, fmt.Errorf("fideval: feature size %d: want one of %v", c.Dims, inception.Dims)
	}
	if c.BatchSize < 0 {
		return c, fmt.Errorf("fideval: batch size %d: want a positive number", c.BatchSize)
	}
	return c, nil
}
