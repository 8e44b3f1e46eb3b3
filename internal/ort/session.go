package ort

import (
	"fmt"
	"os"
	"slices"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// IOInfo describes one model input or output.
type IOInfo struct {
	// Name is the graph name of the input or output.
	Name string
	// DType is its element type (Undefined for types Tensor cannot carry).
	DType DType
	// ONNXType is ONNX Runtime's name of the element type, for messages.
	ONNXType string
	// Shape holds the dimensions, -1 where the model leaves one dynamic;
	// nil when the model does not state the rank ([]int64{} is a scalar).
	Shape []int64
}

// Static reports whether the rank and every dimension are known.
func (i IOInfo) Static() bool {
	if i.Shape == nil {
		return false
	}
	for _, d := range i.Shape {
		if d < 0 {
			return false
		}
	}
	return true
}

// A Session is an opened model, ready to Run. Run may be called from many
// goroutines at once; Close must not overlap any Run.
type Session struct {
	name    string // the model path or "<model bytes>", for messages
	opts    SessionOptions
	s       *onnxruntime.DynamicAdvancedSession
	inputs  []IOInfo
	outputs []IOInfo
}

// NewSession opens the model at path; external weight files are looked up
// beside it (or in opts.ExternalDataDir when set). It calls Init first.
func NewSession(path string, opts SessionOptions) (*Session, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := Init(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("ort: opening model: %w", err)
	}
	in, out, err := fileModelIOInfo(path)
	if err != nil {
		// Let ONNX Runtime try, and word the error if it fails too.
		ortIn, ortOut, err := fileIOInfo(path, opts)
		if err != nil {
			return nil, err
		}
		in, out = convertInfo(ortIn), convertInfo(ortOut)
	}
	return open(path, opts, in, out, func(inNames, outNames []string, so *onnxruntime.SessionOptions) (*onnxruntime.DynamicAdvancedSession, error) {
		return onnxruntime.NewDynamicAdvancedSession(path, inNames, outNames, so)
	})
}

// NewSessionFromBytes opens a model held in memory. A model whose weights
// live in external files needs opts.ExternalDataDir, the folder that holds
// them (ONNX Runtime's session config entry
// session.model_external_initializers_file_folder_path). It calls Init
// first.
func NewSessionFromBytes(model []byte, opts SessionOptions) (*Session, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := Init(); err != nil {
		return nil, err
	}
	if len(model) == 0 {
		return nil, fmt.Errorf("ort: opening model: no bytes")
	}
	in, out, err := readIOInfo(model)
	if err != nil {
		return nil, fmt.Errorf("ort: reading inputs and outputs of the model bytes: %w", err)
	}
	return open("<model bytes>", opts, in, out, func(inNames, outNames []string, so *onnxruntime.SessionOptions) (*onnxruntime.DynamicAdvancedSession, error) {
		return onnxruntime.NewDynamicAdvancedSessionWithONNXData(model, inNames, outNames, so)
	})
}

// fileIOInfo reads the inputs and outputs of the model at path with
// onnxruntime_go: a temporary CPU session without graph optimisation,
// released before the real session loads. It is the fallback for models
// fileModelIOInfo cannot read.
func fileIOInfo(path string, opts SessionOptions) ([]onnxruntime.InputOutputInfo, []onnxruntime.InputOutputInfo, error) {
	so, err := opts.build(true)
	if err != nil {
		return nil, nil, err
	}
	defer so.Destroy()
	in, out, err := onnxruntime.GetInputOutputInfoWithOptions(path, so)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: reading inputs and outputs of %s: %w", path, err)
	}
	return in, out, nil
}

type opener func(inNames, outNames []string, so *onnxruntime.SessionOptions) (*onnxruntime.DynamicAdvancedSession, error)

// open creates the session over every input and output of the model.
func open(name string, opts SessionOptions, in, out []IOInfo, create opener) (*Session, error) {
	s := &Session{name: name, opts: opts, inputs: in, outputs: out}
	so, err := opts.build(false)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	s.s, err = create(names(s.inputs), names(s.outputs), so)
	if err != nil {
		return nil, fmt.Errorf("ort: opening %s: %w", name, err)
	}
	return s, nil
}

func convertInfo(in []onnxruntime.InputOutputInfo) []IOInfo {
	out := make([]IOInfo, len(in))
	for i, v := range in {
		out[i] = IOInfo{Name: v.Name, DType: dtypeFromORT(v.DataType), ONNXType: v.DataType.String(), Shape: []int64(v.Dimensions.Clone())}
	}
	return out
}

func names(infos []IOInfo) []string {
	out := make([]string, len(infos))
	for i, v := range infos {
		out[i] = v.Name
	}
	return out
}

// Inputs describes the model's inputs in graph order.
func (s *Session) Inputs() []IOInfo { return cloneInfo(s.inputs) }

// Outputs describes the model's outputs in graph order.
func (s *Session) Outputs() []IOInfo { return cloneInfo(s.outputs) }

// Options returns the options the session was opened with.
func (s *Session) Options() SessionOptions { return s.opts }

func cloneInfo(in []IOInfo) []IOInfo {
	out := make([]IOInfo, len(in))
	for i, v := range in {
		v.Shape = slices.Clone(v.Shape) // keeps a scalar's [] apart from an unstated rank (nil)
		out[i] = v
	}
	return out
}

// Close releases the session. It is safe to call more than once.
func (s *Session) Close() error {
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	if err != nil {
		return fmt.Errorf("ort: closing %s: %w", s.name, err)
	}
	return nil
}
