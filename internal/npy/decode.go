package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// A FormatError reports a malformed or unsupported .npy file.
type FormatError struct {
	File string // file name, if known
	Msg  string
}

func (e *FormatError) Error() string {
	if e.File == "" {
		return "npy: " + e.Msg
	}
	return "npy: " + e.File + ": " + e.Msg
}

var magic = []byte("\x93NUMPY")

// maxHeader bounds the header length so that a corrupt length cannot exhaust memory.
const maxHeader = 1 << 20

// ReadFile reads the .npy file at path.
func ReadFile(path string) (*Array, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := Decode(b)
	if err != nil {
		if fe, ok := err.(*FormatError); ok {
			fe.File = path
		}
		return nil, err
	}
	return a, nil
}

// Read decodes one .npy array from r.
func Read(r io.Reader) (*Array, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Decode(b)
}

// Decode decodes the .npy bytes b.
func Decode(b []byte) (*Array, error) {
	if len(b) < 10 || !bytes.Equal(b[:6], magic) {
		return nil, &FormatError{Msg: "not a .npy file (bad magic)"}
	}
	major := b[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, &FormatError{Msg: "truncated header"}
		}
		h := binary.LittleEndian.Uint32(b[8:12])
		if h > maxHeader {
			return nil, &FormatError{Msg: fmt.Sprintf("header length %d too large", h)}
		}
		hlen, off = int(h), 12
	default:
		return nil, &FormatError{Msg: fmt.Sprintf("unsupported format version %d.%d", b[6], b[7])}
	}
	if off+hlen > len(b) {
		return nil, &FormatError{Msg: "truncated header"}
	}
	descr, fortran, shape, err := parseHeader(string(b[off : off+hlen]))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, &FormatError{Msg: "Fortran-order arrays are not supported"}
	}
	dt, err := parseDescr(descr)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, &FormatError{Msg: "negative dimension"}
		}
		if d != 0 && n > math.MaxInt/8/d {
			return nil, &FormatError{Msg: "shape too large"}
		}
		n *= d
	}
	data := b[off+hlen:]
	if len(data) != n*dt.Size() {
		return nil, &FormatError{Msg: fmt.Sprintf("shape %v of %s needs %d data bytes, file has %d", shape, descr, n*dt.Size(), len(data))}
	}
	a := &Array{DType: dt, Shape: shape}
	le := binary.LittleEndian
	switch dt {
	case Float32:
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(le.Uint32(data[4*i:]))
		}
	case Float64:
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = math.Float64frombits(le.Uint64(data[8*i:]))
		}
	case Int32:
		a.I32 = make([]int32, n)
		for i := range a.I32 {
			a.I32[i] = int32(le.Uint32(data[4*i:]))
		}
	case Int64:
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(le.Uint64(data[8*i:]))
		}
	case Uint8:
		a.U8 = append([]uint8(nil), data...)
	}
	return a, nil
}

func parseDescr(d string) (DType, error) {
	switch d {
	case "<f4":
		return Float32, nil
	case "<f8":
		return Float64, nil
	case "<i4":
		return Int32, nil
	case "<i8":
		return Int64, nil
	case "|u1", "<u1":
		return Uint8, nil
	}
	return "", &FormatError{Msg: fmt.Sprintf("unsupported dtype %q (want <f4, <f8, <i4, <i8 or |u1)", d)}
}

// parseHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseHeader(h string) (descr string, fortran bool, shape []int, err error) {
	bad := func(msg string) (string, bool, []int, error) {
		return "", false, nil, &FormatError{Msg: "bad header: " + msg}
	}
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return bad("not a dict")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	for s != "" {
		if s[0] != '\'' && s[0] != '"' {
			return bad("expected a quoted key")
		}
		q := s[0]
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return bad("unterminated key")
		}
		key := s[1 : 1+end]
		s = strings.TrimSpace(s[2+end:])
		if !strings.HasPrefix(s, ":") {
			return bad("expected ':' after key " + key)
		}
		s = strings.TrimSpace(s[1:])
		if seen[key] {
			return bad("duplicate key " + key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if s == "" || (s[0] != '\'' && s[0] != '"') {
				return bad("descr is not a string")
			}
			q := s[0]
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return bad("unterminated descr")
			}
			descr = s[1 : 1+end]
			s = s[2+end:]
		case "fortran_order":
			switch {
			case strings.HasPrefix(s, "False"):
				fortran, s = false, s[5:]
			case strings.HasPrefix(s, "True"):
				fortran, s = true, s[4:]
			default:
				return bad("fortran_order is not a bool")
			}
		case "shape":
			if !strings.HasPrefix(s, "(") {
				return bad("shape is not a tuple")
			}
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return bad("unterminated shape")
			}
			shape = []int{}
			for _, f := range strings.Split(s[1:end], ",") {
				f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
				if f == "" {
					continue
				}
				d, perr := strconv.Atoi(f)
				if perr != nil || d < 0 {
					return bad("bad dimension " + strconv.Quote(f))
				}
				shape = append(shape, d)
			}
			s = s[end+1:]
		default:
			return bad("unknown key " + key)
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, ",") {
			s = strings.TrimSpace(s[1:])
		} else if s != "" {
			return bad("expected ',' between entries")
		}
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return bad("missing descr, fortran_order or shape")
	}
	return descr, fortran, shape, nil
}
