package torchpth

// reader walks a byte slice; every read checks the bounds, so that no length taken from
// the file can make the unpickler allocate or index past the data.
type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errorf("unexpected end of data at offset %d (truncated file?)", r.off)
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// bytes returns the next n bytes (a view, not a copy).
func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errorf("needs %d bytes at offset %d, only %d left (truncated file?)", n, r.off, len(r.b)-r.off)
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v, nil
}

// length reads a 4-byte little-endian length (signed when signed is false: BINSTRING
// lengths are signed, BINUNICODE's unsigned; both must fit in what is left).
func (r *reader) length(unsigned bool) (int, error) {
	b, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	u := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	if !unsigned && int32(u) < 0 {
		return 0, errorf("negative length %d", int32(u))
	}
	return int(u), nil
}

// length8 reads an 8-byte little-endian length.
func (r *reader) length8() (int, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	var u uint64
	for i := 7; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	if u > uint64(len(r.b)) {
		return 0, errorf("length %d exceeds the data", u)
	}
	return int(u), nil
}

// line reads up to and including '\n' and returns the text before it.
func (r *reader) line() (string, error) {
	for i := r.off; i < len(r.b); i++ {
		if r.b[i] == '\n' {
			s := string(r.b[r.off:i])
			r.off = i + 1
			return s, nil
		}
	}
	return "", errorf("unterminated text line at offset %d", r.off)
}
