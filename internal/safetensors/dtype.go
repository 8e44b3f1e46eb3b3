package safetensors

// A DType names a tensor element type as spelled in safetensors headers.
type DType string

// The element types this package accepts. F16 is IEEE 754 binary16, BF16 is bfloat16
// (the upper half of a float32), BOOL is one byte per element.
const (
	F64    DType = "F64"
	F32    DType = "F32"
	F16    DType = "F16"
	BF16   DType = "BF16"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	I64    DType = "I64"
	I32    DType = "I32"
	I16    DType = "I16"
	I8     DType = "I8"
	U64    DType = "U64"
	U32    DType = "U32"
	U16    DType = "U16"
	U8     DType = "U8"
	Bool   DType = "BOOL"
)

var dtypeSizes = map[DType]int{
	F64: 8, F32: 4, F16: 2, BF16: 2, F8E4M3: 1, F8E5M2: 1,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1,
	Bool: 1,
}

// Size returns the number of bytes of one element, or 0 for an unknown DType.
func (d DType) Size() int { return dtypeSizes[d] }

// Known reports whether d is one of the element types above.
func (d DType) Known() bool { return dtypeSizes[d] != 0 }

// IsFloat reports whether Float32 can convert tensors of type d.
func (d DType) IsFloat() bool { return d == F32 || d == F64 || d == F16 || d == BF16 }
