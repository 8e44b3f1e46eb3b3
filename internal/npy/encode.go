package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Encode returns a in .npy format version 1.0 (2.0 if the header needs it).
func Encode(a *Array) []byte {
	if a.DType.Size() == 0 {
		panic("npy: unknown dtype " + string(a.DType))
	}
	check(a.Shape, dataLen(a))
	descr := "<" + string(a.DType)
	if a.DType == Uint8 {
		descr = "|u1"
	}
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = fmt.Sprint(d)
	}
	shape := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	// Pad with spaces and a newline so that the data starts at a multiple of 64 bytes.
	pre := 10
	if len(header)+1+pre > 65535 {
		pre = 12
	}
	total := (pre + len(header) + 1 + 63) / 64 * 64
	header += strings.Repeat(" ", total-pre-len(header)-1) + "\n"

	var buf bytes.Buffer
	buf.Grow(total + a.Len()*a.DType.Size())
	buf.Write(magic)
	le := binary.LittleEndian
	if pre == 10 {
		buf.Write([]byte{1, 0})
		binary.Write(&buf, le, uint16(len(header)))
	} else {
		buf.Write([]byte{2, 0})
		binary.Write(&buf, le, uint32(len(header)))
	}
	buf.WriteString(header)
	var b [8]byte
	switch a.DType {
	case Float32:
		for _, v := range a.F32 {
			le.PutUint32(b[:], math.Float32bits(v))
			buf.Write(b[:4])
		}
	case Float64:
		for _, v := range a.F64 {
			le.PutUint64(b[:], math.Float64bits(v))
			buf.Write(b[:])
		}
	case Int32:
		for _, v := range a.I32 {
			le.PutUint32(b[:], uint32(v))
			buf.Write(b[:4])
		}
	case Int64:
		for _, v := range a.I64 {
			le.PutUint64(b[:], uint64(v))
			buf.Write(b[:])
		}
	case Uint8:
		buf.Write(a.U8)
	}
	return buf.Bytes()
}

func dataLen(a *Array) int {
	switch a.DType {
	case Float32:
		return len(a.F32)
	case Float64:
		return len(a.F64)
	case Int32:
		return len(a.I32)
	case Int64:
		return len(a.I64)
	case Uint8:
		return len(a.U8)
	}
	return -1
}

// Write writes a to w in .npy format.
func Write(w io.Writer, a *Array) error {
	_, err := w.Write(Encode(a))
	return err
}

// WriteFile writes a to path atomically: to a temporary file in the same folder, renamed
// into place, so that a failed write leaves no partial file behind.
func WriteFile(path string, a *Array) error {
	return writeAtomic(path, Encode(a))
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
