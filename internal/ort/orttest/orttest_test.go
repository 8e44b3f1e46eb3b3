package orttest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
)

// TestRequire checks that Require leaves the runtime initialised.
func TestRequire(t *testing.T) {
	Require(t)
	if ort.LoadedLibrary() == "" || ort.Version() == "" {
		t.Fatalf("Require returned but the runtime is not loaded (library %q, version %q)", ort.LoadedLibrary(), ort.Version())
	}
}

// TestRequireFailsLoudly runs TestRequire in a child process whose
// ONNXRUNTIME_LIB names a missing file: it must fail and name the install
// command, never pass or skip.
func TestRequireFailsLoudly(t *testing.T) {
	if os.Getenv("ORTTEST_CHILD") == "1" {
		t.Skip("child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRequire$", "-test.v")
	cmd.Env = append(os.Environ(), "ORTTEST_CHILD=1", ort.EnvLibrary+"=/nonexistent/"+ort.LibraryName)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("TestRequire passed without a library:\n%s", out)
	}
	for _, want := range []string{"--- FAIL: TestRequire", ort.InstallCommand, "/nonexistent/"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output does not contain %q:\n%s", want, out)
		}
	}
}
