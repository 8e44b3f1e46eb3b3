package pipeline

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/ort"
)

// floatTensor returns data as a tensor of the float type dt (float32 or float16).
func floatTensor(dt ort.DType, shape []int64, data []float32) *ort.Tensor {
	if dt == ort.Float16 {
		return ort.NewFloat16(shape, half.Float32sToF16s(data))
	}
	return ort.NewFloat32(shape, data)
}

// intTensor returns data as a tensor of the integer type dt (int32 or int64).
func intTensor(dt ort.DType, shape []int64, data []int64) *ort.Tensor {
	if dt == ort.Int32 {
		v := make([]int32, len(data))
		for i, x := range data {
			v[i] = int32(x)
		}
		return ort.NewInt32(shape, v)
	}
	return ort.NewInt64(shape, data)
}

// checkFloat reports an input or output whose type is neither float32 nor float16.
func checkFloat(path, what string, io ort.IOInfo) error {
	if io.DType != ort.Float32 && io.DType != ort.Float16 {
		return &FolderError{Path: path, Msg: fmt.Sprintf("%s %q is %s; want float or float16", what, io.Name, typeName(io))}
	}
	return nil
}

// checkRank reports an input or output whose stated rank is not rank.
func checkRank(path, what string, io ort.IOInfo, rank int) error {
	if io.Shape != nil && len(io.Shape) != rank {
		return &FolderError{Path: path, Msg: fmt.Sprintf("%s %q has shape %v; want rank %d", what, io.Name, io.Shape, rank)}
	}
	return nil
}

// findIO returns the first of infos whose name is in names.
func findIO(infos []ort.IOInfo, names ...string) (ort.IOInfo, bool) {
	for _, n := range names {
		for _, io := range infos {
			if io.Name == n {
				return io, true
			}
		}
	}
	return ort.IOInfo{}, false
}

// ioNames lists the names of infos with their types and shapes, for messages.
func ioNames(infos []ort.IOInfo) string {
	s := ""
	for i, io := range infos {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s (%s %v)", io.Name, typeName(io), io.Shape)
	}
	return s
}

// typeName is the element type's short ONNX name ("float", "int64", ...).
func typeName(io ort.IOInfo) string {
	if io.DType != ort.Undefined {
		return io.DType.String()
	}
	return io.ONNXType
}

// staticDim returns shape[i] when the model fixes it, else -1.
func staticDim(shape []int64, i int) int64 {
	if i < len(shape) && shape[i] >= 0 {
		return shape[i]
	}
	return -1
}
