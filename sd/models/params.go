package models

import (
	"fmt"
	"slices"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/safetensors"
)

// A WeightSource gives the tensors of a state_dict by key; *diffusers.Weights is one.
type WeightSource interface {
	Tensor(name string) (safetensors.TensorInfo, bool)
}

// An Init says how Synth draws a parameter (see synth.go for the distributions).
type Init int

// Parameter kinds, as torch initialises them (weights and biases uniform in
// ±1/sqrt(fan_in)), except norms, which are randomised around 1 and 0 so that their
// affine transforms are exercised.
const (
	InitWeight      Init = iota // Linear/Conv weight: U(±1/sqrt(fan_in))
	InitBias                    // Linear/Conv bias: U(±1/sqrt(fan_in))
	InitNormWeight              // GroupNorm/LayerNorm scale: 1 + 0.2·N(0,1)
	InitNormBias                // GroupNorm/LayerNorm shift: 0.2·N(0,1)
	InitEmbedding               // nn.Embedding: N(0, 0.02²)
	InitPositionIDs             // int64 buffer arange(n) (transformers ≤ 4.30 saves it)
)

// A Param is one state_dict tensor of a model: its key, shape and how Synth draws it.
type Param struct {
	Name  string
	Shape []int
	Init  Init
	FanIn int // for InitWeight and InitBias
}

// NumElements returns the product of the shape.
func (p Param) NumElements() int64 {
	n := int64(1)
	for _, d := range p.Shape {
		n *= int64(d)
	}
	return n
}

// layout is how a state_dict tensor is stored as an initializer.
type layout int

const (
	asIs       layout = iota // same data; dims may differ (GroupNorm affine as [C,1,1])
	transposed               // Linear weight [out,in] stored as [in,out] under key+".T"
)

// ctx carries one model build: the graph, the options, where weights come from and go,
// and the first error (later calls are no-ops once one occurred, like bufio.Scanner).
type ctx struct {
	g       *onnx.Graph
	root    *onnx.Builder
	opt     Options
	src     WeightSource // nil: declare parameters only (Synth's spec mode)
	srcName string       // for error messages
	sink    sink
	params  []Param
	tembAct map[string]string // silu(temb), computed once per time embedding
	err     error
}

func newCtx(m *onnx.Model, opt Options, src WeightSource, srcName string, s sink) *ctx {
	g := m.Graph()
	return &ctx{g: g, root: onnx.NewBuilder(g, opt.opset()), opt: opt, src: src, srcName: srcName, sink: s}
}

func (c *ctx) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// NumParams returns the number of values in the declared parameters.
func numParams(ps []Param) int64 {
	var n int64
	for _, p := range ps {
		if p.Init != InitPositionIDs {
			n += p.NumElements()
		}
	}
	return n
}

// param declares the state_dict tensor key of the given shape and returns the name of
// the initializer holding it (dims overrides the initializer's shape for asIs tensors).
func (c *ctx) param(key string, shape []int, ini Init, fanIn int, lay layout, dims ...int64) string {
	c.params = append(c.params, Param{Name: key, Shape: shape, Init: ini, FanIn: fanIn})
	name := key
	if lay == transposed {
		name = key + ".T"
	}
	if c.src == nil || c.err != nil {
		return name
	}
	t, ok := c.src.Tensor(key)
	if !ok {
		c.fail("%s: state_dict key %q (shape %v) is missing", c.srcName, key, shape)
		return name
	}
	if !slices.Equal(t.Shape, shape) {
		// Conv-style 1×1 weights stand in for Linear ones in some checkpoints.
		if !(len(shape) == 2 && len(t.Shape) == 4 && t.Shape[0] == shape[0] && t.Shape[1] == shape[1] && t.Shape[2] == 1 && t.Shape[3] == 1) {
			c.fail("%s: state_dict key %q has shape %v, the config needs %v", c.srcName, key, t.Shape, shape)
			return name
		}
	}
	if dims == nil {
		for _, d := range shape {
			dims = append(dims, int64(d))
		}
	}
	raw, err := c.encode(t, shape, lay)
	if err != nil {
		c.fail("%s: state_dict key %q: %v", c.srcName, key, err)
		return name
	}
	if lay == transposed {
		dims = []int64{int64(shape[1]), int64(shape[0])}
	}
	tp, err := c.sink.put(name, dims, c.opt.elem(), raw)
	if err != nil {
		c.fail("%s: writing %q: %v", c.srcName, name, err)
		return name
	}
	c.root.Named(tp)
	return name
}

// encode converts a stored tensor to the graph's element type and layout.
func (c *ctx) encode(t safetensors.TensorInfo, shape []int, lay layout) ([]byte, error) {
	if lay == asIs && t.DType == safetensors.F32 && !c.opt.Float16 {
		return t.Bytes, nil
	}
	if lay == asIs && t.DType == safetensors.F16 && c.opt.Float16 {
		return t.Bytes, nil
	}
	v, err := safetensors.ToFloat32(t.DType, t.Bytes)
	if err != nil {
		return nil, err
	}
	if lay == transposed {
		rows, cols := shape[0], shape[1]
		tv := make([]float32, len(v))
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				tv[j*rows+i] = v[i*cols+j]
			}
		}
		v = tv
	}
	return floatBytes(v, c.opt.Float16), nil
}
