// Package orttest holds the test helpers of packages needing ONNX Runtime:
// Require, which they call first so that their tests fail loudly, never pass
// silently, on a machine without the library, and NewSession, which opens a
// session on a model built in the test.
package orttest

import (
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
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
