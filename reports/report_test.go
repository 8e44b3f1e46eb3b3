package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/experiments"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*")

const run1 = "testdata/run1"

func readRun(t *testing.T, dir string) *experiments.Run {
	t.Helper()
	r, err := experiments.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReportGolden writes the report of testdata/run1 and compares report.md,
// report.csv and report.tex with testdata/golden (go test -update rewrites them).
func TestReportGolden(t *testing.T) {
	out := t.TempDir()
	files, err := Write(readRun(t, run1), out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{files.Markdown, files.CSV, files.LaTeX} {
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", filepath.Base(f))
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", f, golden, got)
		}
	}
	if len(files.Plots) != 8 || len(files.Skipped) != 0 {
		t.Errorf("plots %q, skipped %v; want 4 plots as PNG and SVG", files.Plots, files.Skipped)
	}
	for _, p := range files.All() {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".report-") {
			t.Errorf("temporary %s left in the output folder", e.Name())
		}
	}
}
