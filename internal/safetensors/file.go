package safetensors

import (
	"fmt"
	"sort"
	"sync"
)

// A File is an open safetensors file. Its methods may be called concurrently; Close must
// not race with them.
type File struct {
	name   string
	data   []byte // the whole file (mapped, or owned when made by FromBytes)
	hdr    *header
	names  []string
	unmap  func([]byte) error // nil when data is not mapped
	mu     sync.Mutex
	closed bool
}

// A TensorInfo describes one tensor of a File. Bytes holds its raw little-endian data in
// C order; for an opened file it aliases the read-only mapping: do not write to it and do
// not use it after Close.
type TensorInfo struct {
	DType DType
	Shape []int
	Bytes []byte
}

// NumElements returns the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Open maps the safetensors file at path read-only and validates its header.
func Open(path string) (*File, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	f, err := newFile(path, data)
	if err != nil {
		if unmap != nil {
			unmap(data)
		}
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// FromBytes parses safetensors data held in memory; name is used in error messages. The
// File keeps b (no copy), which must not change while it is in use.
func FromBytes(name string, b []byte) (*File, error) {
	return newFile(name, b)
}

func newFile(name string, data []byte) (*File, error) {
	h, err := parseHeader(name, data)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(h.tensors))
	for n := range h.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return &File{name: name, data: data, hdr: h, names: names}, nil
}

// Path returns the path given to Open (or the name given to FromBytes).
func (f *File) Path() string { return f.name }

// Names returns the tensor names in sorted order. The slice must not be modified.
func (f *File) Names() []string { return f.names }

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.names) }

// Metadata returns the header's "__metadata__" map (nil when absent). It must not be
// modified.
func (f *File) Metadata() map[string]string { return f.hdr.metadata }

// HeaderSize returns the length N of the JSON header in bytes.
func (f *File) HeaderSize() int { return f.hdr.size }

// DataSize returns the length of the data area in bytes.
func (f *File) DataSize() int { return len(f.data) - 8 - f.hdr.size }

// Tensor returns the tensor called name and whether it exists.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	f.checkOpen()
	e, ok := f.hdr.tensors[name]
	if !ok {
		return TensorInfo{}, false
	}
	shape := append([]int(nil), e.shape...)
	return TensorInfo{DType: e.dtype, Shape: shape, Bytes: f.data[e.begin:e.end:e.end]}, true
}

// Float32 returns a copy of the tensor called name converted to float32, with its shape.
// F32, F64, F16 and BF16 tensors convert; other types give an error wrapping ErrNotFloat,
// and a missing name one wrapping ErrNotFound.
func (f *File) Float32(name string) ([]float32, []int, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.name, name, ErrNotFound)
	}
	v, err := ToFloat32(t.DType, t.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q of dtype %s: %w", f.name, name, t.DType, err)
	}
	return v, t.Shape, nil
}

// Close releases the mapping. Tensor bytes obtained before must not be used afterwards.
// Closing twice is harmless.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	data := f.data
	f.data = nil
	if f.unmap != nil {
		if err := f.unmap(data); err != nil {
			return fmt.Errorf("safetensors: %s: unmap: %v", f.name, err)
		}
	}
	return nil
}

func (f *File) checkOpen() {
	if f.data == nil {
		panic("safetensors: use of closed File " + f.name)
	}
}
