package ort

import (
	"fmt"

	onnxruntime "github.com/yalue/onnxruntime_go"

	"github.com/tomebench/tomebench/internal/half"
)

// DType is the element type of a Tensor.
type DType int

// Element types that Tensor carries.
const (
	Undefined DType = iota
	Float32
	Float16
	Int32
	Int64
)

// String returns the ONNX name of the type ("float", "float16", ...).
func (d DType) String() string {
	switch d {
	case Float32:
		return "float"
	case Float16:
		return "float16"
	case Int32:
		return "int32"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// dtypeFromORT maps onnxruntime_go's element type to DType (Undefined when
// Tensor cannot carry it).
func dtypeFromORT(t onnxruntime.TensorElementDataType) DType {
	switch t {
	case onnxruntime.TensorElementDataTypeFloat:
		return Float32
	case onnxruntime.TensorElementDataTypeFloat16:
		return Float16
	case onnxruntime.TensorElementDataTypeInt32:
		return Int32
	case onnxruntime.TensorElementDataTypeInt64:
		return Int64
	}
	return Undefined
}

// A Tensor is a dense, C-ordered array passed to or returned by Session.Run.
// Exactly one data slice, the one matching DType, is set; float16 values are
// IEEE half-precision bit patterns (see package internal/half).
type Tensor struct {
	DType DType
	Shape []int64
	F32   []float32
	F16   []uint16
	I32   []int32
	I64   []int64
}

// NewFloat32 returns a float32 tensor over data (not copied).
func NewFloat32(shape []int64, data []float32) *Tensor {
	return &Tensor{DType: Float32, Shape: shape, F32: data}
}

// NewFloat16 returns a float16 tensor over the half-precision bits in data.
func NewFloat16(shape []int64, data []uint16) *Tensor {
	return &Tensor{DType: Float16, Shape: shape, F16: data}
}

// NewInt32 returns an int32 tensor over data (not copied).
func NewInt32(shape []int64, data []int32) *Tensor {
	return &Tensor{DType: Int32, Shape: shape, I32: data}
}

// NewInt64 returns an int64 tensor over data (not copied).
func NewInt64(shape []int64, data []int64) *Tensor {
	return &Tensor{DType: Int64, Shape: shape, I64: data}
}

// Len returns the number of elements the shape describes (1 for a scalar).
func (t *Tensor) Len() int {
	return int(shapeSize(t.Shape))
}

// dataLen returns the length of the data slice for t.DType.
func (t *Tensor) dataLen() int {
	switch t.DType {
	case Float32:
		return len(t.F32)
	case Float16:
		return len(t.F16)
	case Int32:
		return len(t.I32)
	case Int64:
		return len(t.I64)
	}
	return -1
}

// validate checks that t's data matches its shape and type.
func (t *Tensor) validate() error {
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("dimension %d of shape %v is negative", i, t.Shape)
		}
	}
	n := t.dataLen()
	if n < 0 {
		return fmt.Errorf("unsupported element type %v", t.DType)
	}
	if want := t.Len(); n != want {
		return fmt.Errorf("%v tensor of shape %v needs %d values, has %d", t.DType, t.Shape, want, n)
	}
	return nil
}

// Float32s returns the values as float32, converting float16 and integers.
func (t *Tensor) Float32s() []float32 {
	switch t.DType {
	case Float32:
		return t.F32
	case Float16:
		return half.F16sToFloat32s(t.F16)
	case Int32:
		out := make([]float32, len(t.I32))
		for i, v := range t.I32 {
			out[i] = float32(v)
		}
		return out
	case Int64:
		out := make([]float32, len(t.I64))
		for i, v := range t.I64 {
			out[i] = float32(v)
		}
		return out
	}
	return nil
}

// shapeSize returns the product of the dimensions (1 for no dimensions).
func shapeSize(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}
