package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRun writes a minimal run folder with the given record files (name -> content,
// relative to the folder) and returns its path.
func writeRun(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	plan := `{"format":"tomebench-run/1","name":"t","variants":[{"id":"b","label":"tome r=0.5","method":"tome"},{"id":"a","label":"none","method":"none"}],"baseline":"a"}`
	if _, ok := files["plan.json"]; !ok {
		files["plan.json"] = plan
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadRunTruncatedTail(t *testing.T) {
	dir := writeRun(t, map[string]string{
		"records/images.jsonl": `{"variant":"a","index":1,"seconds":2}` + "\n" +
			`{"variant":"b","index":0,"seconds":1}` + "\n" +
			`{"variant":"a","index":0,"seconds":3}` + "\n" +
			`{"variant":"a","index":1,"seconds":4}` + "\n" + // duplicate: replaces the first line
			`{"variant":"b","index":1,"sec`, // cut by kill -9
		"records/variants.shard-0-of-2.jsonl": `{"variant":"a","peak_rss_bytes":5}` + "\n",
		"records/variants.shard-1-of-2.jsonl": `{"variant":"b","peak_rss_bytes":6}` + "\n",
		"records/env.shard-0-of-2.json":       `{"cpu":"x"}`,
	})
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range r.Images {
		got = append(got, im.Variant+":"+string(rune('0'+im.Index))+":"+string(rune('0'+int(im.Seconds))))
	}
	// plan order (b before a), then index; the duplicate's last record wins.
	if want := "b:0:1 a:0:3 a:1:4"; strings.Join(got, " ") != want {
		t.Errorf("images %q, want %q", strings.Join(got, " "), want)
	}
	if r.Duplicates != 1 {
		t.Errorf("Duplicates = %d, want 1", r.Duplicates)
	}
	if len(r.Truncated) != 1 || r.Truncated[0] != "records/images.jsonl" {
		t.Errorf("Truncated = %q", r.Truncated)
	}
	if len(r.Sessions) != 2 || r.Sessions[0].Variant != "a" || r.Sessions[1].Variant != "b" {
		t.Errorf("Sessions = %+v", r.Sessions)
	}
	if len(r.Envs) != 1 || r.Envs[0].CPU != "x" {
		t.Errorf("Envs = %+v", r.Envs)
	}
	if r.Metrics != nil {
		t.Errorf("Metrics = %+v, want nil", r.Metrics)
	}
}

func TestReadRunErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		file  string // the file the error must name
		line  int
	}{
		{"corrupt middle line", map[string]string{
			"records/images.jsonl": `{"variant":"a","index":0}` + "\n" + `{"variant":` + "\n" + `{"variant":"a","index":1}` + "\n",
		}, "records/images.jsonl", 2},
		{"wrong type", map[string]string{
			"records/variants.jsonl": "\n" + `{"variant":"a","images":"many"}` + "\n",
		}, "records/variants.jsonl", 2},
		{"corrupt metrics", map[string]string{
			"metrics.json": "{\n\"variants\": [\n}",
		}, "metrics.json", 3},
		{"wrong format", map[string]string{
			"plan.json": `{"format":"other/2"}`,
		}, "plan.json", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRun(t, tc.files)
			_, err := ReadRun(dir)
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RecordError", err)
			}
			if re.File != filepath.Join(dir, tc.file) || re.Line != tc.line {
				t.Errorf("error at %s:%d, want %s:%d (%v)", re.File, re.Line, tc.file, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error %q does not name %s", err, tc.file)
			}
		})
	}
}

func TestReadRunMissingPlan(t *testing.T) {
	_, err := ReadRun(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "plan.json") {
		t.Errorf("err = %v, want a missing plan.json", err)
	}
}
