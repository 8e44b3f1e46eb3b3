package onnx

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// A Model is an ONNX model and the folder its external data is relative to.
type Model struct {
	Proto *onnxpb.ModelProto
	// Dir is the folder that external-data locations are relative to: the folder of the
	// file the model was loaded from. It is empty for a model built in memory.
	Dir string
}

// A LoadError reports an ONNX file that could not be read or parsed.
type LoadError struct {
	File string
	Err  error
}

func (e *LoadError) Error() string { return "onnx: " + e.File + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads the model at path. External data is not read: tensors keep pointing into
// their files, relative to the model's folder.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Decode(b)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	m.Dir = filepath.Dir(path)
	return m, nil
}

// Decode parses a serialized ModelProto and checks that it is a usable model: it has a
// graph, an ai.onnx opset, and well-formed external-data references.
func Decode(b []byte) (*Model, error) {
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, mp); err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	m := &Model{Proto: mp}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) validate() error {
	mp := m.Proto
	if mp.Graph == nil {
		return fmt.Errorf("not an ONNX model: no graph")
	}
	if mp.IrVersion <= 0 {
		return fmt.Errorf("not an ONNX model: ir_version %d", mp.IrVersion)
	}
	if m.Opset() <= 0 {
		return fmt.Errorf("no opset import for the default (ai.onnx) domain")
	}
	for _, t := range mp.Graph.Initializer {
		if isExternal(t) {
			if _, err := externalRef(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// Opset is the model's ai.onnx operator set version (0 if none is imported).
func (m *Model) Opset() int64 {
	for _, o := range m.Proto.OpsetImport {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			return o.Version
		}
	}
	return 0
}

// SetOpset sets the ai.onnx operator set version. It does not check that the graph means
// the same under the new version; callers raising the opset must check that first.
func (m *Model) SetOpset(v int64) {
	for _, o := range m.Proto.OpsetImport {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			o.Version = v
			return
		}
	}
	m.Proto.OpsetImport = append(m.Proto.OpsetImport, &onnxpb.OperatorSetIdProto{Version: v})
}

// Graph returns the editable view of the model's main graph.
func (m *Model) Graph() *Graph { return NewGraph(m.Proto.Graph) }

// NewModel returns an empty model with the given ai.onnx opset and IR version 8 (ONNX
// Runtime accepts IR 3–10; 8 is what torch exports at opsets 14–17).
func NewModel(name string, opset int64) *Model {
	return &Model{Proto: &onnxpb.ModelProto{
		IrVersion:    8,
		ProducerName: "tomebench",
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: "", Version: opset}},
		Graph:        &onnxpb.GraphProto{Name: name},
	}}
}
