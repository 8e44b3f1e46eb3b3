package ort

import (
	"fmt"
	"unsafe"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// toValue wraps t's data (not copied) in an onnxruntime_go value; the
// caller destroys it. t must have passed validate.
func (t *Tensor) toValue() (onnxruntime.Value, error) {
	if len(t.Shape) == 0 { // onnxruntime_go tensors need a dimension
		switch t.DType {
		case Float32:
			return onnxruntime.NewScalar(t.F32[0])
		case Int32:
			return onnxruntime.NewScalar(t.I32[0])
		case Int64:
			return onnxruntime.NewScalar(t.I64[0])
		}
		return nil, fmt.Errorf("%v scalars are not supported (give the tensor shape [1])", t.DType)
	}
	shape := onnxruntime.Shape(t.Shape)
	switch t.DType {
	case Float32:
		return onnxruntime.NewTensor(shape, t.F32)
	case Int32:
		return onnxruntime.NewTensor(shape, t.I32)
	case Int64:
		return onnxruntime.NewTensor(shape, t.I64)
	case Float16:
		if len(t.F16) == 0 {
			return nil, fmt.Errorf("empty float16 tensors are not supported")
		}
		return onnxruntime.NewCustomDataTensor(shape, halfBytes(t.F16), onnxruntime.TensorElementDataTypeFloat16)
	}
	return nil, fmt.Errorf("unsupported element type %v", t.DType)
}

// halfBytes views float16 bits as bytes (native byte order, which is what
// ONNX Runtime expects in memory).
func halfBytes(h []uint16) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&h[0])), 2*len(h))
}

// newOutput allocates a tensor of type d and shape, and the value over its
// data that ONNX Runtime writes into.
func newOutput(d DType, shape []int64) (*Tensor, onnxruntime.Value, error) {
	n := shapeSize(shape)
	t := &Tensor{DType: d, Shape: append([]int64(nil), shape...)}
	switch d {
	case Float32:
		t.F32 = make([]float32, n)
	case Float16:
		t.F16 = make([]uint16, n)
	case Int32:
		t.I32 = make([]int32, n)
	case Int64:
		t.I64 = make([]int64, n)
	default:
		return nil, nil, fmt.Errorf("unsupported element type %v", d)
	}
	v, err := t.toValue()
	return t, v, err
}

// fromValue copies out an output value that ONNX Runtime allocated (through
// onnxruntime_go, which already copied it into Go memory).
func fromValue(v onnxruntime.Value) (*Tensor, error) {
	shape := []int64(v.GetShape().Clone())
	switch x := v.(type) {
	case *onnxruntime.Tensor[float32]:
		return NewFloat32(shape, x.GetData()), nil
	case *onnxruntime.Tensor[int32]:
		return NewInt32(shape, x.GetData()), nil
	case *onnxruntime.Tensor[int64]:
		return NewInt64(shape, x.GetData()), nil
	}
	return nil, fmt.Errorf("unsupported output value %T of shape %v", v, shape)
}
