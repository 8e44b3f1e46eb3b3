package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/tomebench/tomebench/internal/half"
)

// A Tensor is one named tensor to write: raw little-endian data in C order.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NewF32 makes an F32 Tensor from v. It panics if len(v) is not the product of shape.
func NewF32(name string, shape []int, v []float32) Tensor {
	checkLen(name, shape, len(v))
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...), Data: b}
}

// NewF16 makes an F16 Tensor from v, rounding each value with half.Float32ToF16. It
// panics if len(v) is not the product of shape.
func NewF16(name string, shape []int, v []float32) Tensor {
	checkLen(name, shape, len(v))
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], half.Float32ToF16(x))
	}
	return Tensor{Name: name, DType: F16, Shape: append([]int(nil), shape...), Data: b}
}

// NewBF16 makes a BF16 Tensor from v, rounding each value with half.Float32ToBF16. It
// panics if len(v) is not the product of shape.
func NewBF16(name string, shape []int, v []float32) Tensor {
	checkLen(name, shape, len(v))
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], half.Float32ToBF16(x))
	}
	return Tensor{Name: name, DType: BF16, Shape: append([]int(nil), shape...), Data: b}
}

// NewI64 makes an I64 Tensor from v. It panics if len(v) is not the product of shape.
func NewI64(name string, shape []int, v []int64) Tensor {
	checkLen(name, shape, len(v))
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: I64, Shape: append([]int(nil), shape...), Data: b}
}

func checkLen(name string, shape []int, n int) {
	p := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("safetensors: tensor %q: negative dimension in shape %v", name, shape))
		}
		p *= d
	}
	if p != n {
		panic(fmt.Sprintf("safetensors: tensor %q: %d values for shape %v", name, n, shape))
	}
}

// Encode writes tensors and metadata (may be nil) in safetensors format to w. Tensors
// are laid out by decreasing element size, then by name, like the Python package does;
// the header is padded with spaces so the data area starts at a multiple of 8. Names must
// be unique and non-empty, and each Data must match its DType and Shape.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	order := make([]Tensor, len(tensors))
	copy(order, tensors)
	seen := map[string]bool{}
	for _, t := range order {
		if err := checkTensor(t, seen); err != nil {
			return err
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		si, sj := order[i].DType.Size(), order[j].DType.Size()
		if si != sj {
			return si > sj
		}
		return order[i].Name < order[j].Name
	})
	hdr, err := encodeHeader(order, metadata)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	for _, t := range order {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

func checkTensor(t Tensor, seen map[string]bool) error {
	switch {
	case t.Name == "":
		return fmt.Errorf("safetensors: tensor with an empty name")
	case t.Name == metadataKey:
		return fmt.Errorf("safetensors: %q cannot name a tensor", metadataKey)
	case seen[t.Name]:
		return fmt.Errorf("safetensors: tensor %q given twice", t.Name)
	case !t.DType.Known():
		return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	seen[t.Name] = true
	n := t.DType.Size()
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
		}
		n *= d
	}
	if n != len(t.Data) {
		return fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, Data has %d", t.Name, t.Shape, t.DType, n, len(t.Data))
	}
	return nil
}

// encodeHeader writes the JSON header: __metadata__ first, then tensors in data order.
func encodeHeader(order []Tensor, metadata map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if metadata != nil {
		m, err := json.Marshal(metadata) // keys sorted
		if err != nil {
			return nil, err
		}
		buf.WriteString(`"__metadata__":`)
		buf.Write(m)
	}
	off := 0
	for i, t := range order {
		if i > 0 || metadata != nil {
			buf.WriteByte(',')
		}
		name, err := json.Marshal(t.Name)
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		buf.WriteString(`:{"dtype":"` + string(t.DType) + `","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(strconv.Itoa(d))
		}
		end := off + len(t.Data)
		fmt.Fprintf(&buf, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	buf.WriteByte('}')
	for (8+buf.Len())%8 != 0 {
		buf.WriteByte(' ')
	}
	return buf.Bytes(), nil
}

// Write writes tensors and metadata to path atomically: it encodes into a temporary file
// in the same folder, syncs it and renames it over path, so readers never see a partial
// file. See Encode for the layout and the checks.
func Write(path string, tensors []Tensor, metadata map[string]string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := Encode(bw, tensors, metadata); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
