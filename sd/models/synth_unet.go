package models

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/safetensors"
)

// SynthUNet writes the UNet of architecture arch (an ArchNames entry) with Synth's
// seeded random weights straight to dir/model.onnx and dir/weights.pb, as Write does,
// without writing the pipeline's safetensors first: the same model as Synth followed
// by Convert of its unet folder, for benchmarks that need only the UNet (speed does not
// depend on the weights' values). opt says how the graph is built.
func SynthUNet(dir, arch string, seed uint64, opt Options) (*Written, error) {
	a, err := LookupArch(arch)
	if err != nil {
		return nil, err
	}
	ucfg, _, _, err := a.Configs()
	if err != nil {
		return nil, err
	}
	ps, err := Params(ucfg)
	if err != nil {
		return nil, err
	}
	src := synthSource{params: map[string]Param{}, seed: seed}
	for _, p := range ps {
		src.params[p.Name] = p
	}
	w, err := Write(dir, ucfg, src, opt)
	if err != nil {
		return nil, fmt.Errorf("models: synthesising the %s UNet: %w", arch, err)
	}
	return w, nil
}

// synthSource is a WeightSource that draws each parameter when asked, as Synth
// writes it.
type synthSource struct {
	params map[string]Param
	seed   uint64
}

// Tensor draws the parameter called name.
func (s synthSource) Tensor(name string) (safetensors.TensorInfo, bool) {
	p, ok := s.params[name]
	if !ok {
		return safetensors.TensorInfo{}, false
	}
	return safetensors.TensorInfo{DType: safetensors.F32, Shape: p.Shape, Bytes: drawParam(p, s.seed)}, true
}

// Dir names the source in error messages.
func (s synthSource) Dir() string { return "synthetic weights" }
