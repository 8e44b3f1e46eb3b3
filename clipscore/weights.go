package clipscore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/internal/safetensors"
	"github.com/tomebench/tomebench/internal/torchpth"
)

// Weight file names looked for in a CLIPModel folder, in order of preference.
const (
	SafetensorsFile = "model.safetensors"
	PytorchBinFile  = "pytorch_model.bin"
)

// weights is a CLIPModel state_dict: by key, with the file it came from (for errors).
// It satisfies sd/models' WeightSource.
type weights struct {
	path  string
	get   func(key string) (safetensors.TensorInfo, bool)
	close func() error
}

func (w *weights) Tensor(key string) (safetensors.TensorInfo, bool) { return w.get(key) }

// Dir names the source in sd/models' errors.
func (w *weights) Dir() string { return w.path }

func (w *weights) Close() error {
	if w.close == nil {
		return nil
	}
	return w.close()
}

// openWeights opens dir's model.safetensors, or else its pytorch_model.bin (read with
// the project's pickle reader; nothing in it is executed).
func openWeights(dir string) (*weights, error) {
	st := filepath.Join(dir, SafetensorsFile)
	if _, err := os.Stat(st); err == nil {
		f, err := safetensors.Open(st)
		if err != nil {
			return nil, fmt.Errorf("clipscore: weights: %w", err)
		}
		return &weights{path: st, get: f.Tensor, close: f.Close}, nil
	}
	bin := filepath.Join(dir, PytorchBinFile)
	if _, err := os.Stat(bin); err == nil {
		sd, err := torchpth.Load(bin)
		if err != nil {
			return nil, fmt.Errorf("clipscore: weights: %w", err)
		}
		return &weights{path: bin, get: func(key string) (safetensors.TensorInfo, bool) {
			t, ok := sd.Tensors[key]
			if !ok {
				return safetensors.TensorInfo{}, false
			}
			d, ok := pthTypes[t.DType]
			if !ok {
				return safetensors.TensorInfo{}, false
			}
			return safetensors.TensorInfo{DType: d, Shape: t.Shape, Bytes: t.Data}, true
		}}, nil
	}
	if _, err := os.Stat(filepath.Join(dir, SafetensorsFile+".index.json")); err == nil {
		return nil, fmt.Errorf("clipscore: %s: sharded weights (%s.index.json) are not supported; save the model in one file", dir, SafetensorsFile)
	}
	return nil, fmt.Errorf("clipscore: %s: no weights (%s or %s): %w", dir, SafetensorsFile, PytorchBinFile, fs.ErrNotExist)
}

var pthTypes = map[torchpth.DType]safetensors.DType{
	torchpth.Float32: safetensors.F32, torchpth.Float16: safetensors.F16, torchpth.BFloat16: safetensors.BF16,
	torchpth.Float64: safetensors.F64, torchpth.Int64: safetensors.I64,
}

// A WeightsError reports a state_dict that does not fit the config: a key missing, of
// the wrong shape, or not floating point.
type WeightsError struct {
	File, Key, Problem string
}

func (e *WeightsError) Error() string {
	return fmt.Sprintf("clipscore: %s: state_dict key %q %s", e.File, e.Key, e.Problem)
}

// float32s returns tensor key as float32 values, checking its shape.
func (w *weights) float32s(key string, shape ...int) ([]float32, error) {
	t, ok := w.get(key)
	if !ok {
		return nil, &WeightsError{File: w.path, Key: key, Problem: fmt.Sprintf("(shape %v) is missing", shape)}
	}
	if !equalInts(t.Shape, shape) {
		return nil, &WeightsError{File: w.path, Key: key, Problem: fmt.Sprintf("has shape %v, the config needs %v", t.Shape, shape)}
	}
	v, err := safetensors.ToFloat32(t.DType, t.Bytes)
	if err != nil {
		if errors.Is(err, safetensors.ErrNotFloat) {
			return nil, &WeightsError{File: w.path, Key: key, Problem: fmt.Sprintf("has dtype %s, want a float type", t.DType)}
		}
		return nil, &WeightsError{File: w.path, Key: key, Problem: err.Error()}
	}
	return v, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
