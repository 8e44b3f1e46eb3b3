package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize bounds the JSON header, as the reference implementation does (100 MB),
// so that a corrupt length cannot make a reader allocate without limit.
const MaxHeaderSize = 100_000_000

const metadataKey = "__metadata__"

// header is a parsed and validated safetensors header.
type header struct {
	size     int               // N, the JSON length
	metadata map[string]string // may be nil
	tensors  map[string]entry
}

// entry is one tensor's header record; begin and end are absolute file offsets.
type entry struct {
	dtype      DType
	shape      []int
	begin, end int
}

// rawEntry is the JSON form of a tensor record. Pointers tell absent from empty.
type rawEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]uint64 `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

// parseHeader reads and validates the header of the complete file contents b.
func parseHeader(file string, b []byte) (*header, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{File: file, Msg: fmt.Sprintf(format, args...)}
	}
	if len(b) < 8 {
		return nil, bad("file is %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize {
		return nil, bad("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, bad("header length %d exceeds the %d bytes after the length field", n, len(b)-8)
	}
	js := b[8 : 8+n]
	if len(js) == 0 || js[0] != '{' {
		return nil, bad("header does not start with '{'")
	}
	if !utf8.Valid(js) {
		return nil, bad("header is not valid UTF-8")
	}
	h := &header{size: int(n), tensors: map[string]entry{}}
	dataStart := 8 + int(n)
	dataLen := uint64(len(b) - dataStart)
	if err := h.decode(js, dataStart, dataLen, bad); err != nil {
		return nil, err
	}
	if err := h.checkCoverage(dataStart, dataLen, bad); err != nil {
		return nil, err
	}
	return h, nil
}

// decode walks the JSON object key by key, so that duplicate names are caught.
func (h *header) decode(js []byte, dataStart int, dataLen uint64, bad func(string, ...any) error) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '{', checked above
		return bad("header JSON: %v", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("header JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return bad("header JSON: key %v is not a string", tok)
		}
		if seen[name] {
			return bad("name %q appears twice in the header", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad("header JSON at %q: %v", name, err)
		}
		if name == metadataKey {
			if err := json.Unmarshal(raw, &h.metadata); err != nil {
				return bad("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		e, err := parseEntry(raw, dataStart, dataLen)
		if err != nil {
			return bad("tensor %q: %v", name, err)
		}
		h.tensors[name] = e
	}
	if _, err := dec.Token(); err != nil { // '}'
		return bad("header JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("header has data after the JSON object")
	}
	return nil
}

// parseEntry validates one tensor record against the data area [0, dataLen).
func parseEntry(raw json.RawMessage, dataStart int, dataLen uint64) (entry, error) {
	var r rawEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return entry{}, fmt.Errorf("record: %v", err)
	}
	if r.DType == nil || r.Shape == nil || r.DataOffsets == nil {
		return entry{}, fmt.Errorf("record needs dtype, shape and data_offsets")
	}
	dt := DType(*r.DType)
	if !dt.Known() {
		return entry{}, fmt.Errorf("unknown dtype %q", *r.DType)
	}
	offs := *r.DataOffsets
	if len(offs) != 2 {
		return entry{}, fmt.Errorf("data_offsets has %d values, want 2", len(offs))
	}
	begin, end := offs[0], offs[1]
	if begin > end {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] run backwards", begin, end)
	}
	if end > dataLen {
		return entry{}, fmt.Errorf("data_offsets [%d, %d] run past the %d-byte data area", begin, end, dataLen)
	}
	shape := make([]int, len(*r.Shape))
	numel := uint64(1)
	for i, d := range *r.Shape {
		if d > math.MaxInt32*uint64(math.MaxInt32) {
			return entry{}, fmt.Errorf("dimension %d is %d, too large", i, d)
		}
		shape[i] = int(d)
		if d != 0 && numel > math.MaxUint64/d {
			return entry{}, fmt.Errorf("shape %v overflows", *r.Shape)
		}
		numel *= d
	}
	size := uint64(dt.Size())
	if numel > math.MaxUint64/size || numel*size != end-begin {
		return entry{}, fmt.Errorf("shape %v of %s needs %d×%d bytes but data_offsets [%d, %d] span %d",
			shape, dt, numel, size, begin, end, end-begin)
	}
	return entry{dtype: dt, shape: shape, begin: dataStart + int(begin), end: dataStart + int(end)}, nil
}

// checkCoverage requires the tensors, sorted by offset, to tile the data area exactly.
func (h *header) checkCoverage(dataStart int, dataLen uint64, bad func(string, ...any) error) error {
	names := make([]string, 0, len(h.tensors))
	for n := range h.tensors {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := h.tensors[names[i]], h.tensors[names[j]]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return names[i] < names[j]
	})
	next, prev := dataStart, ""
	for _, n := range names {
		e := h.tensors[n]
		switch {
		case e.begin < next:
			return bad("tensor %q [%d, %d) overlaps tensor %q", n, e.begin-dataStart, e.end-dataStart, prev)
		case e.begin > next:
			return bad("gap of %d bytes in the data area before tensor %q", e.begin-next, n)
		}
		next, prev = e.end, n
	}
	if uint64(next-dataStart) != dataLen {
		return bad("tensors cover %d bytes but the data area holds %d", next-dataStart, dataLen)
	}
	return nil
}
