package torchpth

import (
	"archive/zip"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func testTensors() ([]string, map[string]*Tensor) {
	keys := []string{"model.a.weight", "model.b.bias", "ids"}
	return keys, map[string]*Tensor{
		"model.a.weight": {DType: Float32, Shape: []int{2, 3}, Data: bytes.Repeat([]byte{0, 0, 0x80, 0x3f}, 6)},
		"model.b.bias":   {DType: Float16, Shape: []int{3}, Data: []byte{0, 0x3c, 0, 0x40, 0, 0x42}},
		"ids":            {DType: Int64, Shape: []int{1, 2}, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}},
	}
}

// TestWriteLoadCheckpoint checks that Write's zip reads back through LoadCheckpoint,
// wrapped in {"state_dict": ...} or not, and through Load when not wrapped.
func TestWriteLoadCheckpoint(t *testing.T) {
	keys, ts := testTensors()
	for _, wrap := range []bool{true, false} {
		var b bytes.Buffer
		if err := Write(&b, "tiny", keys, ts, wrap); err != nil {
			t.Fatal(err)
		}
		sd, err := DecodeCheckpoint("x.ckpt", b.Bytes())
		if err != nil {
			t.Fatalf("wrap=%v: %v", wrap, err)
		}
		if !slices.Equal(sd.Keys, keys) {
			t.Errorf("keys %v, want %v", sd.Keys, keys)
		}
		for _, k := range keys {
			got, want := sd.Tensors[k], ts[k]
			if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("%s: got %v, want %v", k, got, want)
			}
		}
		if !wrap {
			if _, err := Decode("x.pth", b.Bytes()); err != nil {
				t.Errorf("Decode: %v", err)
			}
		}
	}
}

// TestCheckpointRefusesGlobals feeds pickles that name code (os.system through REDUCE,
// builtins.eval, a global smuggled with STACK_GLOBAL) and checks that each is refused
// with a *GlobalError naming the global, while Load (inert mode) never runs it either.
func TestCheckpointRefusesGlobals(t *testing.T) {
	cases := []struct {
		name, pickle, global string
	}{
		{"os.system", "\x80\x02cos\nsystem\nX\x05\x00\x00\x00touch\x85R.", "os.system"},
		{"posix.system", "\x80\x02}X\x01\x00\x00\x00acposix\nsystem\nX\x02\x00\x00\x00id\x85Rs.", "posix.system"},
		{"eval via STACK_GLOBAL", "\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.", "builtins.eval"},
		{"subprocess", "\x80\x02csubprocess\nPopen\n)R.", "subprocess.Popen"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		w := zipOf(t, &b, "evil/data.pkl", []byte(c.pickle))
		_ = w
		_, err := DecodeCheckpoint("evil.ckpt", b.Bytes())
		var ge *GlobalError
		if !errors.As(err, &ge) || ge.Global != c.global || !strings.Contains(err.Error(), "evil.ckpt") || !strings.Contains(err.Error(), c.global) {
			t.Errorf("%s: got %v; want a GlobalError naming %s and the file", c.name, err, c.global)
		}
	}
}

func zipOf(t *testing.T, b *bytes.Buffer, name string, data []byte) error {
	t.Helper()
	zw := zip.NewWriter(b)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data)
	return zw.Close()
}
