package reports

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/experiments"
)

// copyDir copies the run folder src into a new temporary folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func markdownTable(t *testing.T, run *experiments.Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := NewTable(run).WriteMarkdownTable(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTableShards splits run1's records over two shards (alternate lines, the
// variants' sessions and environment too) and expects the same table.
func TestTableShards(t *testing.T) {
	want := markdownTable(t, readRun(t, run1))
	dir := copyDir(t, run1)
	for _, name := range []string{"images", "variants"} {
		path := filepath.Join(dir, "records", name+".jsonl")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var shard [2]strings.Builder
		for i, line := range strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n") {
			shard[i%2].WriteString(strings.TrimSuffix(line, "\n") + "\n")
		}
		for i := range shard {
			os.WriteFile(filepath.Join(dir, "records", name+".shard-"+string(rune('0'+i))+"-of-2.jsonl"), []byte(shard[i].String()), 0o644)
		}
		os.Remove(path)
	}
	os.Rename(filepath.Join(dir, "records", "env.json"), filepath.Join(dir, "records", "env.shard-0-of-2.json"))
	run := readRun(t, dir)
	if len(run.Images) != 6 || len(run.Sessions) != 4 {
		t.Fatalf("read %d images, %d sessions from the shards; want 6, 4", len(run.Images), len(run.Sessions))
	}
	if got := markdownTable(t, run); got != want {
		t.Errorf("sharded table:\n%s\nunsharded:\n%s", got, want)
	}
}

// TestWriteBadRecords: a corrupt record line fails with its file and line, and the
// output folder stays empty.
func TestWriteBadRecords(t *testing.T) {
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"corrupt line", "records/images.jsonl", "{\"variant\":\"0a1b2c3d4e5f\",\"index\":0}\n{oops\n{\"variant\":\"0a1b2c3d4e5f\",\"index\":1}\n", `records/images\.jsonl:2: `},
		{"bad metrics", "metrics.json", "{\"variants\": 3}", `metrics\.json:1: `},
		{"no plan", "plan.json", "", `plan\.json: no such file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, run1)
			path := filepath.Join(dir, filepath.FromSlash(tc.file))
			if tc.content == "" {
				os.Remove(path)
			} else {
				os.WriteFile(path, []byte(tc.content), 0o644)
			}
			out := filepath.Join(t.TempDir(), "out")
			run, err := experiments.ReadRun(dir)
			if err == nil {
				_, err = Write(run, out, Options{})
			}
			if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("err = %v, want one matching %q", err, tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output folder written: %v", err)
			}
		})
	}
}

// TestWriteFailureCleansUp: when a file cannot be moved into place, Write fails and
// leaves no temporary folder behind.
func TestWriteFailureCleansUp(t *testing.T) {
	out := t.TempDir()
	// report.html as a non-empty folder: renaming a file onto it fails.
	os.MkdirAll(filepath.Join(out, "report.html", "x"), 0o755)
	if _, err := Write(readRun(t, run1), out, Options{}); err == nil {
		t.Fatal("Write succeeded over a folder named report.html")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".report-") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
}

// TestTableMissing builds a run with a schedule variant and no metrics, no sessions,
// and some images missing: missing figures print as "—", never 0, and the plots that
// need FID are skipped.
func TestTableMissing(t *testing.T) {
	run := readRun(t, run1)
	run.Metrics = nil
	run.Sessions = nil
	run.Images = run.Images[:3] // baseline 2 images, tome r=0.3 1 image, tome r=0.5 none
	run.Plan.Variants = append(run.Plan.Variants, experiments.Variant{
		ID: "3d4e5f607182", Label: "tome 0.6→0.4", Method: "tome",
		ToMe:     &experiments.ToMeSettings{Ratio: 0.6, SX: 2, SY: 2},
		Schedule: &experiments.Schedule{Kind: "linear", From: 0.6, To: 0.4},
	})
	tab := NewTable(run)
	header, rows := tab.Cells()
	if got := strings.Join(header, ","); got != "method,r%,FID,s/im,×faster,UNet s/im,GB/im,×less,images" {
		t.Errorf("header %s", got)
	}
	want := [][]string{
		{"none", "0", "—", "3.05 ± 0.07", "1.00", "2.55 ± 0.07", "—", "—", "2"},
		{"tome r=0.3", "30", "—", "2.10", "1.45", "1.60", "—", "—", "1/2"}, // one image: no spread
		{"tome r=0.5", "50", "—", "—", "—", "—", "—", "—", "0/2"},
		{"tome 0.6→0.4", "60→40", "—", "—", "—", "—", "—", "—", "0/2"},
	}
	for i := range want {
		if got := strings.Join(rows[i], ","); got != strings.Join(want[i], ",") {
			t.Errorf("row %d: %s, want %s", i, got, strings.Join(want[i], ","))
		}
	}
	if tab.Rows[3].OnRatioAxis {
		t.Error("a schedule variant is on the ratio axis")
	}
	var csv bytes.Buffer
	WriteCSV(&csv, tab)
	if lines := strings.Split(csv.String(), "\n"); !strings.HasPrefix(lines[4], "3d4e5f607182,tome 0.6→0.4,tome,false,0.6,0.4,linear,,,") {
		t.Errorf("CSV schedule row %q", lines[4])
	}
	plots, skipped, err := Plots(tab)
	if err != nil {
		t.Fatal(err)
	}
	if len(plots) != 1 || plots[0].Name != "speedup_vs_ratio" || len(skipped) != 3 {
		t.Errorf("plots %d (%v), skipped %v; want only speedup_vs_ratio", len(plots), plots, skipped)
	}
	ws := strings.Join(Warnings(run, tab), "\n")
	for _, w := range []string{"tome r=0.3: 1 of 2 images recorded", "no metrics.json"} {
		if !strings.Contains(ws, w) {
			t.Errorf("warnings lack %q:\n%s", w, ws)
		}
	}
}

func TestTeXEscape(t *testing.T) {
	for in, want := range map[string]string{
		"r%":          `r\%`,
		"a_b & c#d":   `a\_b \& c\#d`,
		"60→40":       `60$\rightarrow$40`,
		"1.0 ± 0.1":   `1.0 $\pm$ 0.1`,
		`\x{y}$~^`:    `\textbackslash{}x\{y\}\$\textasciitilde{}\textasciicircum{}`,
		"×faster — ∞": `$\times$faster --- $\infty$`,
	} {
		if got := TeXEscape(in); got != want {
			t.Errorf("TeXEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteTruncatedTail: a record line cut by kill -9 is left out and reported.
func TestWriteTruncatedTail(t *testing.T) {
	dir := copyDir(t, run1)
	f, err := os.OpenFile(filepath.Join(dir, "records", "images.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"variant":"2c3d4e5f6071","index":2,"seco`)
	f.Close()
	files, err := Write(readRun(t, dir), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(files.Markdown)
	if !strings.Contains(string(md), "- records/images.jsonl: the last line was cut short") {
		t.Errorf("report.md does not mention the cut line:\n%s", md)
	}
	if filepath.Dir(files.Markdown) != dir {
		t.Errorf("report written to %s, want the run folder %s", files.Markdown, dir)
	}
}
