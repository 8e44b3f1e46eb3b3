package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

const fixtures = "../../../shared/fixtures"

var update = flag.Bool("update", false, "rewrite testdata/*.stdout golden files")

// tomebench runs the CLI in-process and returns its exit status and output.
func tomebench(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(&o, &e, args)
	return code, o.String(), e.String()
}

// TestHelpGolden compares `tomebench help` with testdata/help.stdout.
func TestHelpGolden(t *testing.T) {
	code, out, _ := tomebench("help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	checkGolden(t, "help.stdout", "help", out)
}

// checkGolden compares out, the output of the command named what, with
// testdata/name (rewriting the file first with -update).
func checkGolden(t *testing.T, name, what, out string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(golden, []byte(out), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("%s output changed; run go test -update\ngot:\n%s", what, out)
	}
}

// TestEveryCommandHasHelp runs `tomebench CMD --help` for each command.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		code, out, errOut := tomebench(c.name, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: tomebench "+c.name) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"exec"}, 2, "want one model file"},
		{[]string{"exec", "a.onnx", "--input", "nofile"}, 2, "want NAME=FILE"},
		{[]string{"doctor", "--bogus"}, 2, "flag provided but not defined"},
	}
	for _, c := range cases {
		code, _, errOut := tomebench(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

func TestDoctor(t *testing.T) {
	orttest.Require(t)
	code, out, errOut := tomebench("doctor")
	if code != 0 || !strings.Contains(out, "onnxruntime:   1.") {
		t.Fatalf("doctor: exit %d\n%s%s", code, out, errOut)
	}
}

// TestExecTinyUNet is the foundation's acceptance check: the shared tiny UNet export,
// run through `tomebench exec`, equals torch's output (golden/out_unpatched.npy).
func TestExecTinyUNet(t *testing.T) {
	orttest.Require(t)
	dir := filepath.Join(fixtures, "unet/tiny-sd15")
	g := filepath.Join(dir, "golden")
	out := filepath.Join(t.TempDir(), "o.npy")
	code, stdout, stderr := tomebench("exec", filepath.Join(dir, "onnx/model.onnx"),
		"--input", "sample="+filepath.Join(g, "sample.npy"),
		"--input", "timestep="+filepath.Join(g, "timestep.npy"),
		"--input", "encoder_hidden_states="+filepath.Join(g, "encoder_hidden_states.npy"),
		"--output", "out_sample="+out,
		"--expect", "out_sample="+filepath.Join(g, "out_unpatched.npy"), "--atol", "1e-5")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	got, err := npy.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := npy.ReadFile(filepath.Join(g, "out_unpatched.npy"))
	d, err := maxAbsDiff(got, want)
	if err != nil || d > 1e-5 {
		t.Errorf("max abs diff %g (%v), want <= 1e-5", d, err)
	}
	t.Logf("max abs diff vs torch: %.3g", d)
}

func TestExecBadInputs(t *testing.T) {
	orttest.Require(t)
	dir := filepath.Join(fixtures, "unet/tiny-sd15")
	model := filepath.Join(dir, "onnx/model.onnx")
	g := filepath.Join(dir, "golden")
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.npy")
	os.WriteFile(bad, []byte("not numpy"), 0o644)
	wrongShape := filepath.Join(tmp, "ws.npy")
	npy.WriteFile(wrongShape, npy.NewFloat32([]int{2, 4, 8}, make([]float32, 64)))
	garbage := filepath.Join(tmp, "garbage.onnx")
	os.WriteFile(garbage, []byte("garbage"), 0o644)
	all := []string{"--input", "sample=" + filepath.Join(g, "sample.npy"),
		"--input", "timestep=" + filepath.Join(g, "timestep.npy"),
		"--input", "encoder_hidden_states=" + filepath.Join(g, "encoder_hidden_states.npy")}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"exec", model, "--input", "sample=" + bad}, bad},
		{[]string{"exec", model, "--input", "sample=" + wrongShape}, "wants rank 4"},
		{[]string{"exec", model, "--input", "nosuch=" + bad}, `has no input "nosuch"`},
		{[]string{"exec", model, "--input", "sample=" + filepath.Join(g, "sample.npy")}, `needs input "timestep"`},
		{append([]string{"exec", model, "--output", "nosuch=" + filepath.Join(tmp, "x.npy")}, all...), `has no output "nosuch"`},
		{[]string{"exec", garbage}, garbage},
		{[]string{"exec", filepath.Join(tmp, "missing.onnx")}, "missing.onnx"},
	}
	for _, c := range cases {
		code, _, errOut := tomebench(c.args...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 mentioning %q", c.args[1:], code, errOut, c.want)
		}
	}
}
