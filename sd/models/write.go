package models

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/internal/onnx"
)

// WeightsFile is the external data file Write puts large weights in (the name diffusers'
// convert_stable_diffusion_checkpoint_to_onnx.py uses for the UNet).
const WeightsFile = "weights.pb"

// inlineLimit is the size of weights above which Write always uses external data
// (protobuf caps a model at 2 GiB).
const inlineLimit = 1 << 30

// A Written describes a model that Write produced.
type Written struct {
	Component Component
	Model     string // path of model.onnx
	Weights   string // path of the external weights file ("" when all weights are inline)
	Params    int64  // number of parameter values (torch's numel sum)
	Bytes     int64  // bytes of weight data, inline and external
}

// Write builds cfg's component with the weights of w and writes dir/model.onnx. A UNet,
// or any model whose weights exceed 1 GiB, keeps every weight of at least
// opt.ExternalThreshold bytes in dir/weights.pb, written while the graph is built, so
// memory stays at one tensor's size beyond the graph itself. dir is created if needed;
// on error the files written are removed.
func Write(dir string, cfg Config, w WeightSource, opt Options) (*Written, error) {
	comp, err := componentOf(cfg)
	if err != nil {
		return nil, err
	}
	spec, err := Params(cfg)
	if err != nil {
		return nil, err
	}
	elem := int64(4)
	if opt.Float16 {
		elem = 2
	}
	bytes := numParams(spec) * elem
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out := &Written{Component: comp, Model: filepath.Join(dir, "model.onnx"), Params: numParams(spec), Bytes: bytes}
	var s sink = inlineSink{}
	var fs *fileSink
	tmpWeights := filepath.Join(dir, "."+WeightsFile+".tmp")
	if comp == UNet || bytes > inlineLimit {
		if fs, err = newFileSink(tmpWeights, WeightsFile, opt.ExternalThreshold); err != nil {
			return nil, err
		}
		s = fs
	}
	m, _, err := build(cfg, w, sourceName(w), opt, s)
	if fs != nil {
		if _, cerr := fs.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.Remove(tmpWeights)
		return nil, err
	}
	m.Dir = dir
	if fs != nil {
		out.Weights = filepath.Join(dir, WeightsFile)
		if err := os.Rename(tmpWeights, out.Weights); err != nil {
			os.Remove(tmpWeights)
			return nil, err
		}
	}
	if err := m.Save(out.Model, onnx.SaveOptions{}); err != nil {
		if fs != nil {
			os.Remove(out.Weights)
		}
		return nil, fmt.Errorf("models: writing %s: %w", out.Model, err)
	}
	return out, nil
}
