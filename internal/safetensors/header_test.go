package safetensors

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// build assembles a file from a header string (padded to nothing) and n data bytes.
func build(hdr string, n int) []byte {
	b := make([]byte, 8, 8+len(hdr)+n)
	binary.LittleEndian.PutUint64(b, uint64(len(hdr)))
	b = append(b, hdr...)
	return append(b, make([]byte, n)...)
}

func TestBadHeaders(t *testing.T) {
	rec := func(dt, shape, offs string) string {
		return `{"dtype":"` + dt + `","shape":` + shape + `,"data_offsets":` + offs + `}`
	}
	long := make([]byte, 8)
	binary.LittleEndian.PutUint64(long, 1<<40)
	trailing := build(`{"a":`+rec("F32", "[1]", "[0,4]")+`} x`, 4)
	cases := []struct {
		name string
		file []byte
		want string // substring of the error
	}{
		{"empty", nil, "too short"},
		{"seven bytes", make([]byte, 7), "too short"},
		{"huge length", long, "exceeds the 100000000-byte limit"},
		{"length past end", append(build(`{}`, 0)[:8:8], '{'), "exceeds the 1 bytes"},
		{"not an object", build(`[]`, 0), "does not start with '{'"},
		{"zero length", build(``, 0), "does not start with '{'"},
		{"bad json", build(`{"a":}`, 0), "header JSON"},
		{"bad utf8", build("{\"\xff\":1}", 0), "UTF-8"},
		{"trailing data", trailing, "after the JSON object"},
		{"duplicate", build(`{"a":`+rec("F32", "[1]", "[0,4]")+`,"a":`+rec("F32", "[1]", "[4,8]")+`}`, 8), "appears twice"},
		{"unknown dtype", build(`{"a":`+rec("F31", "[1]", "[0,4]")+`}`, 4), `unknown dtype "F31"`},
		{"unknown field", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4), "unknown field"},
		{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4), "needs dtype, shape and data_offsets"},
		{"negative dim", build(`{"a":`+rec("F32", "[-1]", "[0,4]")+`}`, 4), "record"},
		{"float dim", build(`{"a":`+rec("F32", "[1.5]", "[0,4]")+`}`, 4), "record"},
		{"three offsets", build(`{"a":`+rec("F32", "[1]", "[0,4,8]")+`}`, 4), "has 3 values"},
		{"backwards", build(`{"a":`+rec("F32", "[0]", "[4,0]")+`}`, 4), "run backwards"},
		{"past data", build(`{"a":`+rec("F32", "[2]", "[0,8]")+`}`, 4), "run past the 4-byte data area"},
		{"size mismatch", build(`{"a":`+rec("F16", "[3]", "[0,4]")+`}`, 4), "needs 3×2 bytes"},
		{"overflow", build(`{"a":`+rec("F32", "[4294967296,4294967296,4294967296]", "[0,4]")+`}`, 4), "overflows"},
		{"gap", build(`{"a":`+rec("F32", "[1]", "[4,8]")+`}`, 8), "gap of 4 bytes"},
		{"overlap", build(`{"a":`+rec("F32", "[2]", "[0,8]")+`,"b":`+rec("F32", "[1]", "[4,8]")+`}`, 8), "overlaps"},
		{"uncovered tail", build(`{"a":`+rec("F32", "[1]", "[0,4]")+`}`, 8), "cover 4 bytes but the data area holds 8"},
		{"metadata not strings", build(`{"__metadata__":{"a":1}}`, 0), "__metadata__"},
	}
	for _, c := range cases {
		_, err := FromBytes("bad.safetensors", c.file)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a *FormatError", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.safetensors") {
			t.Errorf("%s: error %q lacks %q or the file name", c.name, err, c.want)
		}
	}
}

func TestGoodHeaders(t *testing.T) {
	cases := []struct {
		name  string
		file  []byte
		names []string
	}{
		{"empty object", build(`{}`, 0), nil},
		{"metadata only", build(`{"__metadata__":{"format":"pt"}}  `, 0), nil},
		{"null metadata", build(`{"__metadata__":null}`, 0), nil},
		{"scalar and empty tensors", build(`{"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},`+
			`"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},"z":{"dtype":"BOOL","shape":[0],"data_offsets":[8,8]}}`, 8),
			[]string{"e", "s", "z"}},
		{"unsorted header order", build(`{"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},`+
			`"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}`, 4), []string{"a", "b"}},
	}
	for _, c := range cases {
		f, err := FromBytes(c.name, c.file)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if strings.Join(f.Names(), ",") != strings.Join(c.names, ",") {
			t.Errorf("%s: names %v, want %v", c.name, f.Names(), c.names)
		}
	}
}
