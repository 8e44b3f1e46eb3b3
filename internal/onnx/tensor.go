package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// Element types, as TensorProto.data_type values.
const (
	Float   = int32(onnxpb.TensorProto_FLOAT)
	Float16 = int32(onnxpb.TensorProto_FLOAT16)
	Double  = int32(onnxpb.TensorProto_DOUBLE)
	Int32   = int32(onnxpb.TensorProto_INT32)
	Int64   = int32(onnxpb.TensorProto_INT64)
	Bool    = int32(onnxpb.TensorProto_BOOL)
	Uint8   = int32(onnxpb.TensorProto_UINT8)
)

// ElemSize is the size in bytes of one element of a fixed-size type (0 if unknown).
func ElemSize(dataType int32) int {
	switch onnxpb.TensorProto_DataType(dataType) {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_INT32, onnxpb.TensorProto_UINT32:
		return 4
	case onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_INT64, onnxpb.TensorProto_UINT64, onnxpb.TensorProto_COMPLEX64:
		return 8
	case onnxpb.TensorProto_FLOAT16, onnxpb.TensorProto_BFLOAT16, onnxpb.TensorProto_INT16, onnxpb.TensorProto_UINT16:
		return 2
	case onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8, onnxpb.TensorProto_BOOL:
		return 1
	case onnxpb.TensorProto_COMPLEX128:
		return 16
	}
	return 0
}

// NumElements is the product of dims.
func NumElements(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

func byteSize(t *onnxpb.TensorProto) (int64, bool) {
	es := ElemSize(t.DataType)
	if es == 0 {
		return 0, false
	}
	return NumElements(t.Dims) * int64(es), true
}

// rawBytes returns an inline tensor's data in raw_data layout.
func rawBytes(t *onnxpb.TensorProto) ([]byte, error) {
	if t.RawData != nil {
		if n, ok := byteSize(t); ok && n != int64(len(t.RawData)) {
			return nil, fmt.Errorf("onnx: tensor %q: raw_data has %d bytes, shape %v needs %d", t.Name, len(t.RawData), t.Dims, n)
		}
		return t.RawData, nil
	}
	le := binary.LittleEndian
	n := NumElements(t.Dims)
	switch onnxpb.TensorProto_DataType(t.DataType) {
	case onnxpb.TensorProto_FLOAT:
		if int64(len(t.FloatData)) != n {
			break
		}
		b := make([]byte, 4*n)
		for i, v := range t.FloatData {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b, nil
	case onnxpb.TensorProto_DOUBLE:
		if int64(len(t.DoubleData)) != n {
			break
		}
		b := make([]byte, 8*n)
		for i, v := range t.DoubleData {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b, nil
	case onnxpb.TensorProto_INT64:
		if int64(len(t.Int64Data)) != n {
			break
		}
		b := make([]byte, 8*n)
		for i, v := range t.Int64Data {
			le.PutUint64(b[8*i:], uint64(v))
		}
		return b, nil
	case onnxpb.TensorProto_INT32, onnxpb.TensorProto_INT16, onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8,
		onnxpb.TensorProto_UINT16, onnxpb.TensorProto_BOOL, onnxpb.TensorProto_FLOAT16, onnxpb.TensorProto_BFLOAT16:
		// These types are stored one per int32 in int32_data.
		if int64(len(t.Int32Data)) != n {
			break
		}
		es := ElemSize(t.DataType)
		b := make([]byte, int64(es)*n)
		for i, v := range t.Int32Data {
			switch es {
			case 4:
				le.PutUint32(b[4*i:], uint32(v))
			case 2:
				le.PutUint16(b[2*i:], uint16(v))
			case 1:
				b[i] = byte(v)
			}
		}
		return b, nil
	default:
		return nil, fmt.Errorf("onnx: tensor %q: unsupported data type %s", t.Name, onnxpb.TensorProto_DataType(t.DataType))
	}
	return nil, fmt.Errorf("onnx: tensor %q: data does not match shape %v", t.Name, t.Dims)
}

// Float32s returns a float tensor's values (FLOAT, FLOAT16 or DOUBLE) as float32.
func (m *Model) Float32s(t *onnxpb.TensorProto) ([]float32, error) {
	b, err := m.RawBytes(t)
	if err != nil {
		return nil, err
	}
	return bytesToFloat32(t, b)
}

func bytesToFloat32(t *onnxpb.TensorProto, b []byte) ([]float32, error) {
	le := binary.LittleEndian
	switch t.DataType {
	case Float:
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return out, nil
	case Float16:
		out := make([]float32, len(b)/2)
		half.DecodeF16(out, b[:2*len(out)])
		return out, nil
	case Double:
		out := make([]float32, len(b)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("onnx: tensor %q is %s, not a float tensor", t.Name, onnxpb.TensorProto_DataType(t.DataType))
}

// ConstInt64s returns the values of v when g (a graph of m) holds it as an int64
// initializer or as the output of a Constant node: the shapes and axes the graph
// rewrites read.
func (m *Model) ConstInt64s(g *Graph, v string) ([]int64, bool) {
	t := g.Initializer(v)
	if t == nil {
		if p := g.Producer(v); p != nil && p.OpType == "Constant" {
			if a := Attr(p, "value"); a != nil {
				t = a.T
			}
		}
	}
	if t == nil || t.DataType != Int64 {
		return nil, false
	}
	vals, err := m.Int64s(t)
	return vals, err == nil
}

// Int64s returns an integer tensor's values (INT64 or INT32) as int64.
func (m *Model) Int64s(t *onnxpb.TensorProto) ([]int64, error) {
	b, err := m.RawBytes(t)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch t.DataType {
	case Int64:
		out := make([]int64, len(b)/8)
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
		return out, nil
	case Int32:
		out := make([]int64, len(b)/4)
		for i := range out {
			out[i] = int64(int32(le.Uint32(b[4*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("onnx: tensor %q is %s, not an integer tensor", t.Name, onnxpb.TensorProto_DataType(t.DataType))
}

// TensorFloat32 makes a FLOAT tensor with raw_data.
func TensorFloat32(name string, dims []int64, data []float32) *onnxpb.TensorProto {
	checkLen(name, dims, len(data))
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{Name: name, Dims: append([]int64{}, dims...), DataType: Float, RawData: b}
}

// TensorFloat16 makes a FLOAT16 tensor from float32 values, rounding to nearest even.
func TensorFloat16(name string, dims []int64, data []float32) *onnxpb.TensorProto {
	checkLen(name, dims, len(data))
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], half.Float32ToF16(v))
	}
	return &onnxpb.TensorProto{Name: name, Dims: append([]int64{}, dims...), DataType: Float16, RawData: b}
}

// TensorInt64 makes an INT64 tensor with raw_data.
func TensorInt64(name string, dims []int64, data []int64) *onnxpb.TensorProto {
	checkLen(name, dims, len(data))
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return &onnxpb.TensorProto{Name: name, Dims: append([]int64{}, dims...), DataType: Int64, RawData: b}
}

func checkLen(name string, dims []int64, n int) {
	if NumElements(dims) != int64(n) {
		panic(fmt.Sprintf("onnx: tensor %q: dims %v hold %d values, got %d", name, dims, NumElements(dims), n))
	}
}
