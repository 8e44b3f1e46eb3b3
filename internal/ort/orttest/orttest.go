// Package orttest holds the test helper that packages needing ONNX Runtime
// call first, so that their tests fail loudly, never pass silently, on a
// machine without the library.
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
