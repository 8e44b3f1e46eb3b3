// Package orttest holds the test helpers of packages needing ONNX Runtime:
// Require, which they call first so that their tests fail loudly, never pass
// silently, on a machine without the library, and NewSession, which opens a
// session on a model built in the test.
package orttest

import (
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
)

// Require initialises ONNX Runtime (ort.Init) and fails the test at once,
// naming the command that installs the library, when that is impossible.
func Require(t testing.TB) {
	t.Helper()
	if err := ort.Init(); err != nil {
		t.Fatalf("this test needs ONNX Runtime: %v\n\tinstall: %s   (or: sh %s)\n\tor point %s at an existing %s",
			err, ort.InstallCommand, ort.InstallScript, ort.EnvLibrary, ort.LibraryName)
	}
}

// A Marshaler is a model that serializes itself, such as an *onnx.Model (named by this
// interface because internal/onnx's own tests import this package).
type Marshaler interface {
	Marshal() ([]byte, error)
}

// NewSession serializes m and opens an ONNX Runtime session on it with opts, failing
// the test on an error. The caller closes the session.
func NewSession(t testing.TB, m Marshaler, opts ort.SessionOptions) *ort.Session {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewSessionFromBytes(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// RunUNetGolden runs the UNet m (inputs sample, timestep, encoder_hidden_states;
// output out_sample) on the float32 golden inputs in dir — sample from sampleFile,
// timestep.npy, encoder_hidden_states.npy — plus the int64 inputs in extra (a patched
// model's partitions), and returns out_sample. The methods' golden tests share it.
func RunUNetGolden(t testing.TB, m Marshaler, dir, sampleFile string, extra map[string]*npy.Array) []float32 {
	t.Helper()
	s := NewSession(t, m, ort.SessionOptions{})
	defer s.Close()
	feeds := map[string]*ort.Tensor{}
	for name, file := range map[string]string{"sample": sampleFile, "timestep": "timestep.npy", "encoder_hidden_states": "encoder_hidden_states.npy"} {
		a := testutil.ReadNPY(t, filepath.Join(dir, file))
		feeds[name] = ort.NewFloat32(testutil.Shape64(a.Shape), a.Float32s())
	}
	for name, a := range extra {
		feeds[name] = ort.NewInt64(testutil.Shape64(a.Shape), a.Int64s())
	}
	out, err := s.Run(feeds, []string{"out_sample"})
	if err != nil {
		t.Fatal(err)
	}
	return out["out_sample"].Float32s()
}
