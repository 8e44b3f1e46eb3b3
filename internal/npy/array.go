package npy

import "fmt"

// DType is an element type of an array, spelled as NumPy's descr without byte order.
type DType string

// The element types npy reads and writes.
const (
	Float32 DType = "f4"
	Float64 DType = "f8"
	Int32   DType = "i4"
	Int64   DType = "i8"
	Uint8   DType = "u1"
)

// Size is the number of bytes of one element.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float64, Int64:
		return 8
	case Uint8:
		return 1
	}
	return 0
}

// An Array is an n-dimensional array in C order. Exactly one of the data slices is set,
// the one matching DType.
type Array struct {
	DType DType
	Shape []int

	F32 []float32
	F64 []float64
	I32 []int32
	I64 []int64
	U8  []uint8
}

// Len is the number of elements, the product of Shape (1 for a scalar).
func (a *Array) Len() int { return numElements(a.Shape) }

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Float64s returns the elements converted to float64, whatever the dtype.
func (a *Array) Float64s() []float64 {
	out := make([]float64, a.Len())
	switch a.DType {
	case Float32:
		for i, v := range a.F32 {
			out[i] = float64(v)
		}
	case Float64:
		copy(out, a.F64)
	case Int32:
		for i, v := range a.I32 {
			out[i] = float64(v)
		}
	case Int64:
		for i, v := range a.I64 {
			out[i] = float64(v)
		}
	case Uint8:
		for i, v := range a.U8 {
			out[i] = float64(v)
		}
	}
	return out
}

// Float32s returns the elements converted to float32, whatever the dtype.
func (a *Array) Float32s() []float32 {
	if a.DType == Float32 {
		return append([]float32(nil), a.F32...)
	}
	f := a.Float64s()
	out := make([]float32, len(f))
	for i, v := range f {
		out[i] = float32(v)
	}
	return out
}

// Int64s returns the elements converted to int64; float elements are truncated.
func (a *Array) Int64s() []int64 {
	switch a.DType {
	case Int64:
		return append([]int64(nil), a.I64...)
	case Int32:
		out := make([]int64, len(a.I32))
		for i, v := range a.I32 {
			out[i] = int64(v)
		}
		return out
	case Uint8:
		out := make([]int64, len(a.U8))
		for i, v := range a.U8 {
			out[i] = int64(v)
		}
		return out
	}
	f := a.Float64s()
	out := make([]int64, len(f))
	for i, v := range f {
		out[i] = int64(v)
	}
	return out
}

// NewFloat32 wraps data as an array of the given shape. It panics if the sizes differ.
func NewFloat32(shape []int, data []float32) *Array {
	check(shape, len(data))
	return &Array{DType: Float32, Shape: append([]int{}, shape...), F32: data}
}

// NewFloat64 wraps data as an array of the given shape. It panics if the sizes differ.
func NewFloat64(shape []int, data []float64) *Array {
	check(shape, len(data))
	return &Array{DType: Float64, Shape: append([]int{}, shape...), F64: data}
}

// NewInt64 wraps data as an array of the given shape. It panics if the sizes differ.
func NewInt64(shape []int, data []int64) *Array {
	check(shape, len(data))
	return &Array{DType: Int64, Shape: append([]int{}, shape...), I64: data}
}

// NewInt32 wraps data as an array of the given shape. It panics if the sizes differ.
func NewInt32(shape []int, data []int32) *Array {
	check(shape, len(data))
	return &Array{DType: Int32, Shape: append([]int{}, shape...), I32: data}
}

// NewUint8 wraps data as an array of the given shape. It panics if the sizes differ.
func NewUint8(shape []int, data []uint8) *Array {
	check(shape, len(data))
	return &Array{DType: Uint8, Shape: append([]int{}, shape...), U8: data}
}

func check(shape []int, n int) {
	if numElements(shape) != n {
		panic(fmt.Sprintf("npy: shape %v holds %d elements, data has %d", shape, numElements(shape), n))
	}
}
