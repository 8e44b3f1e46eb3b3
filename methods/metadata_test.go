package methods

import (
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
)

// TestRecordRoundTrip: a record set twice is stored once, read back as written, and
// a model without one reads as not patched.
func TestRecordRoundTrip(t *testing.T) {
	m := onnx.NewModel("unet", 16)
	if _, ok, err := ReadRecord(m); ok || err != nil {
		t.Fatalf("fresh model: ok %v, err %v", ok, err)
	}
	SetRecord(m, "todo", map[string]any{"factor": 3}, [2]int{64, 64}, 2)
	SetRecord(m, "todo", map[string]any{"factor": 2}, [2]int{64, 64}, 5)
	if n := len(m.Proto.MetadataProps); n != 1 {
		t.Fatalf("%d metadata entries, want 1", n)
	}
	r, ok, err := ReadRecord(m)
	if !ok || err != nil {
		t.Fatalf("ok %v, err %v", ok, err)
	}
	want := `patched with todo {"factor":2} (latent 64x64, 5 blocks)`
	if r.String() != want {
		t.Errorf("got %q, want %q", r.String(), want)
	}
	m.Proto.MetadataProps[0].Value = "{"
	if _, _, err := ReadRecord(m); err == nil || !strings.Contains(err.Error(), MetadataKey) {
		t.Errorf("bad JSON: err %v", err)
	}
}
