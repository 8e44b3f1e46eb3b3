package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestCLIPScoreCommand runs `tomebench clipscore` on two fixture photos that
// torchmetrics scored whole (shared/fixtures/clipscore manifest results.cases 0 and 6:
// -2.8203542232513428 and 23.985246658325195), given once as files with --prompts and
// --per-image, and once in JSON.
func TestCLIPScoreCommand(t *testing.T) {
	model := filepath.Join(fixtures, "clipscore", "tiny_clip")
	if _, err := os.Stat(model); err != nil {
		t.Skipf("clipscore fixtures missing (see /work/shared/fixtures/README.md): %v", err)
	}
	orttest.Require(t)
	a := filepath.Join(fixtures, "fid", "images", "setA", "a000.png")
	b := filepath.Join(fixtures, "fid", "images", "setB", "b000.png")
	pf := filepath.Join(t.TempDir(), "prompts.txt")
	os.WriteFile(pf, []byte("A high quality photograph of a tench.\r\nA high quality photograph of a stingray.\n"), 0o644)
	want := []float64{-2.8203542232513428, 23.985246658325195}
	mean := (want[0] + want[1]) / 2

	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"clipscore", a, b, "--model", model, "--prompts", pf, "--per-image", "--threads", "1"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, f := range []string{a, b} {
		name, v, _ := strings.Cut(lines[i], "\t")
		s, err := strconv.ParseFloat(v, 64)
		if name != f || err != nil || math.Abs(s-want[i]) > 1e-3 {
			t.Errorf("line %q, want %s and %.6f", lines[i], f, want[i])
		}
	}
	v, ok := strings.CutPrefix(lines[2], "CLIP score: ")
	if s, err := strconv.ParseFloat(v, 64); !ok || err != nil || math.Abs(s-mean) > 1e-3 {
		t.Errorf("last line %q, want CLIP score %.6f", lines[2], mean)
	}

	out.Reset()
	if code := run(&out, &errb, []string{"clipscore", "--json", "--model", model, "--prompt", "A high quality photograph of a tench.", a}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Images []struct {
			File  string
			Score float64
		}
		ClipScore float64 `json:"clip_score"`
		Mean      float64
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	// One negative pair: the mean is negative, the score exactly 0 (the clamp is on the mean).
	if len(rep.Images) != 1 || math.Abs(rep.Mean-want[0]) > 1e-3 || rep.ClipScore != 0 {
		t.Errorf("json %s", out.String())
	}
}

// TestCLIPScoreUsage: bad command lines exit 2 with a reason.
func TestCLIPScoreUsage(t *testing.T) {
	img := filepath.Join(fixtures, "fid", "images", "setA")
	pf := filepath.Join(t.TempDir(), "p.txt")
	os.WriteFile(pf, []byte("one\ntwo\n"), 0o644)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"clipscore", "--model", "m", "--prompt", "x"}, "at least one image"},
		{[]string{"clipscore", "x.png", "--prompt", "x"}, "--model"},
		{[]string{"clipscore", "x.png", "--model", "m"}, "exactly one of --prompt and --prompts"},
		{[]string{"clipscore", "x.png", "--model", "m", "--prompt", "a", "--prompts", pf}, "exactly one"},
		{[]string{"clipscore", filepath.Join(img, "a000.png"), "--model", "m", "--prompts", pf}, "2 prompts for 1 images"},
	} {
		var out, errb bytes.Buffer
		if code := run(&out, &errb, tc.args); code != 2 || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.msg)
		}
	}
}
