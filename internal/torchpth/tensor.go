package torchpth

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tomebench/tomebench/internal/half"
)

// A DType is a tensor element type, named as torch names it ("float32", "int64", …).
type DType string

// Element types of torch storages (torch.FloatStorage is Float32, and so on).
const (
	Float32  DType = "float32"
	Float64  DType = "float64"
	Float16  DType = "float16"
	BFloat16 DType = "bfloat16"
	Int64    DType = "int64"
	Int32    DType = "int32"
	Int16    DType = "int16"
	Int8     DType = "int8"
	Uint8    DType = "uint8"
	Bool     DType = "bool"
)

// storageTypes maps torch's storage class names to element types.
var storageTypes = map[string]DType{
	"FloatStorage": Float32, "DoubleStorage": Float64, "HalfStorage": Float16,
	"BFloat16Storage": BFloat16, "LongStorage": Int64, "IntStorage": Int32,
	"ShortStorage": Int16, "CharStorage": Int8, "ByteStorage": Uint8, "BoolStorage": Bool,
}

// Size is the element size in bytes.
func (d DType) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16, BFloat16, Int16:
		return 2
	}
	return 1
}

// A Tensor is one state_dict entry, copied out of its storage into C order. Data holds
// the elements little-endian; Float32s and Int64s convert.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// Len is the number of elements (1 for a scalar, shape []).
func (t *Tensor) Len() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// Float32s returns the elements as float32 (exactly for float16, bfloat16 and small
// integers; rounded for float64 and large integers).
func (t *Tensor) Float32s() []float32 {
	n := t.Len()
	out := make([]float32, n)
	b := t.Data
	for i := range out {
		switch t.DType {
		case Float32:
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		case Float64:
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		case Float16:
			out[i] = half.F16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		case BFloat16:
			out[i] = half.BF16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		default:
			out[i] = float32(t.int64At(i))
		}
	}
	return out
}

// Int64s returns the elements of an integer or bool tensor; it panics on a floating
// one (a caller mistake).
func (t *Tensor) Int64s() []int64 {
	switch t.DType {
	case Float32, Float64, Float16, BFloat16:
		panic("torchpth: Int64s of a " + string(t.DType) + " tensor")
	}
	out := make([]int64, t.Len())
	for i := range out {
		out[i] = t.int64At(i)
	}
	return out
}

func (t *Tensor) int64At(i int) int64 {
	b := t.Data
	switch t.DType {
	case Int64:
		return int64(binary.LittleEndian.Uint64(b[8*i:]))
	case Int32:
		return int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
	case Int16:
		return int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	case Int8:
		return int64(int8(b[i]))
	}
	return int64(b[i])
}

// storageRef is a storage named by a persistent id; data arrives later (legacy) or is
// looked up by key (zip). A legacy view refers to part of a root storage.
type storageRef struct {
	dtype  DType
	key    string
	numel  int64
	root   *storageRef // non-nil for a view
	offset int64       // element offset of a view into root
	data   []byte
}

// tensorRef is a tensor before its storage's bytes are known.
type tensorRef struct {
	storage *storageRef
	offset  int64
	size    []int64
	stride  []int64
}

// maxElems bounds a tensor's element count; larger claims are treated as corrupt.
const maxElems = 1 << 36

// materialize copies the strided view out of its storage into a C-ordered Tensor.
func (tr *tensorRef) materialize() (*Tensor, error) {
	st := tr.storage
	offset := tr.offset
	for st.root != nil {
		offset += st.offset
		st = st.root
	}
	es := int64(st.dtype.Size())
	avail := int64(len(st.data)) / es
	n := int64(1)
	last := offset // highest element index touched
	for i, s := range tr.size {
		if s < 0 || tr.stride[i] < 0 {
			return nil, errorf("tensor with negative size or stride %v/%v", tr.size, tr.stride)
		}
		if s > 0 && n > maxElems/s {
			return nil, errorf("tensor of size %v is too large", tr.size)
		}
		n *= s
		if s > 0 {
			if tr.stride[i] > maxElems {
				return nil, errorf("tensor stride %v is too large", tr.stride)
			}
			last += (s - 1) * tr.stride[i]
		}
	}
	shape := make([]int, len(tr.size))
	for i, s := range tr.size {
		shape[i] = int(s)
	}
	if n > avail {
		return nil, errorf("tensor of size %v has more elements than its storage %q (%d)", tr.size, st.key, avail)
	}
	t := &Tensor{DType: st.dtype, Shape: shape, Data: make([]byte, 0, n*es)}
	if n == 0 {
		return t, nil
	}
	if offset < 0 || last >= avail {
		return nil, errorf("tensor (offset %d, size %v, stride %v) reaches element %d of storage %q, which has %d",
			offset, tr.size, tr.stride, last, st.key, avail)
	}
	if contiguous(tr.size, tr.stride) {
		t.Data = append(t.Data, st.data[offset*es:(offset+n)*es]...)
		return t, nil
	}
	idx := make([]int64, len(tr.size))
	for k := int64(0); k < n; k++ {
		pos := offset
		for i := range idx {
			pos += idx[i] * tr.stride[i]
		}
		t.Data = append(t.Data, st.data[pos*es:(pos+1)*es]...)
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < tr.size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return t, nil
}

func (t *Tensor) String() string { return fmt.Sprintf("%s%v", t.DType, t.Shape) }

// contiguous reports whether stride is the C-order stride of size.
func contiguous(size, stride []int64) bool {
	want := int64(1)
	for i := len(size) - 1; i >= 0; i-- {
		if size[i] != 1 && stride[i] != want {
			return false
		}
		want *= size[i]
	}
	return true
}
