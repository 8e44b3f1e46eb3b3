package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportCommand runs `tomebench report` on the reports package's test run into a
// temporary folder.
func TestReportCommand(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := tomebench("report", "--out", out, "--images", "1", "../../reports/testdata/run1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "| method | r% | FID |") || !strings.Contains(stdout, "| tome r=0.5 | 50 | 33.02 ± 0.52 |") {
		t.Errorf("stdout is not the table:\n%s", stdout)
	}
	for _, f := range []string{"report.md", "report.csv", "report.tex", "report.html", "plots/fid_vs_time.svg", "plots/fid_vs_memory.png"} {
		p := filepath.Join(out, f)
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
		if !strings.Contains(stderr, "wrote "+p+"\n") {
			t.Errorf("stderr does not list %s:\n%s", p, stderr)
		}
	}

	// A missing run folder fails with status 1 and names plan.json.
	code, _, stderr = tomebench("report", "--out", out, filepath.Join(out, "nothing"))
	if code != 1 || !strings.Contains(stderr, "plan.json") {
		t.Errorf("missing run: exit %d, stderr %q", code, stderr)
	}
	// No RUN_DIR: a usage error.
	if code, _, _ := tomebench("report"); code != 2 {
		t.Errorf("no RUN_DIR: exit %d, want 2", code)
	}
}
