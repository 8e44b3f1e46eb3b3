package inception

import (
	"context"
	"fmt"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/torchpth"
)

// Config configures an Extractor.
type Config struct {
	// Dims is the feature size (one of Dims); 0 means 2048.
	Dims int
	// BatchSize is the most images per network call; 0 means 50 (pytorch-fid's
	// default). Consecutive images of one size share a batch; a change of size starts a
	// new one (pytorch-fid cannot batch mixed sizes at all).
	BatchSize int
	// Session configures ONNX Runtime (threads, provider).
	Session ort.SessionOptions
	// Progress, when set, is called by Files with the number of images done and the
	// total: once with done = 0 before the first batch, then after each batch. The
	// package draws nothing; a command line draws its own bar from these calls.
	Progress func(done, total int)
}

// An Extractor computes Inception features of images with ONNX Runtime.
type Extractor struct {
	sess  *ort.Session
	dims  int
	batch int
	prog  func(done, total int)
}

// NewExtractor builds the network over the state_dict sd (Build) and opens it in ONNX
// Runtime, which must be initialised (ort.Init).
func NewExtractor(sd *torchpth.StateDict, cfg Config) (*Extractor, error) {
	if cfg.Dims == 0 {
		cfg.Dims = 2048
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 50
	}
	if cfg.BatchSize < 0 {
		panic("inception: negative batch size")
	}
	m, err := Build(sd, Options{Dims: []int{cfg.Dims}})
	if err != nil {
		return nil, err
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	s, err := ort.NewSessionFromBytes(b, cfg.Session)
	if err != nil {
		return nil, err
	}
	return &Extractor{sess: s, dims: cfg.Dims, batch: cfg.BatchSize, prog: cfg.Progress}, nil
}

// Dims is the feature size.
func (e *Extractor) Dims() int { return e.dims }

// Close releases the ONNX Runtime session.
func (e *Extractor) Close() error { return e.sess.Close() }

// Batch returns the features of images that all have one size, one row of Dims()
// values per image.
func (e *Extractor) Batch(images []*Tensor) ([][]float32, error) {
	if len(images) == 0 {
		return nil, nil
	}
	h, w := images[0].H, images[0].W
	data := make([]float32, 0, len(images)*3*h*w)
	for _, im := range images {
		if im.H != h || im.W != w {
			panic(fmt.Sprintf("inception: Batch of mixed sizes %d×%d and %d×%d", w, h, im.W, im.H))
		}
		data = append(data, im.Data...)
	}
	name := FeatureOutput(e.dims)
	out, err := e.sess.Run(map[string]*ort.Tensor{
		Input: ort.NewFloat32([]int64{int64(len(images)), 3, int64(h), int64(w)}, data),
	}, []string{name})
	if err != nil {
		return nil, err
	}
	f := out[name].Float32s()
	rows := make([][]float32, len(images))
	for i := range rows {
		rows[i] = f[i*e.dims : (i+1)*e.dims : (i+1)*e.dims]
	}
	return rows, nil
}

// Files decodes each file (LoadImage), runs the network in batches and calls each
// with the file's index and features, in file order. It stops at the first error, and
// when ctx is done (checked before each image is decoded and each batch is run) it
// returns ctx.Err().
func (e *Extractor) Files(ctx context.Context, files []string, each func(i int, features []float32) error) error {
	if e.prog != nil {
		e.prog(0, len(files))
	}
	var pending []*Tensor
	start := 0
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := e.Batch(pending)
		if err != nil {
			return err
		}
		for k, r := range rows {
			if err := each(start+k, r); err != nil {
				return err
			}
		}
		start += len(pending)
		pending = pending[:0]
		if e.prog != nil {
			e.prog(start, len(files))
		}
		return nil
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		im, err := LoadImage(f)
		if err != nil {
			return err
		}
		if len(pending) > 0 && (len(pending) == e.batch || im.H != pending[0].H || im.W != pending[0].W) {
			if err := flush(); err != nil {
				return err
			}
		}
		pending = append(pending, im)
	}
	if len(pending) == 0 {
		return nil
	}
	return flush()
}
