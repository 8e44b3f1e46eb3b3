package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/runner"
)

// The test binary doubles as the child process of `tomebench run`: the runner starts
// os.Executable() (this binary under go test) with the hidden subcommand
// runner.ChildSubcommand, which TestMain dispatches exactly as main does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == runner.ChildSubcommand {
		os.Exit(run(os.Stdout, os.Stderr, os.Args[1:]))
	}
	// The run tests point XDG_CACHE_HOME at a temporary folder, which would hide the
	// ONNX Runtime library installed in the per-user cache: remember where it is.
	if p := os.Getenv(ort.EnvLibrary); p != "" {
		runORTLibrary = p
	} else if p, err := ort.LibraryPath(); err == nil {
		runORTLibrary = p
	}
	code := m.Run()
	if runRoot != "" {
		os.RemoveAll(runRoot)
	}
	os.Exit(code)
}

var (
	// runORTLibrary is the ONNX Runtime library found before any test changed the
	// environment ("" when none was found; orttest.Require then fails the tests).
	runORTLibrary string
	// runRoot holds the cache (synthesised model) and the runs shared by the tests of
	// this file; TestMain removes it.
	runRoot string
	// runWhole is the unsharded run of runConfig(1), made once (see wholeRun).
	runWhole *runResult
)

// runResult is a finished `tomebench run`.
type runResult struct {
	cfg, out       string
	stdout, stderr string
}

// useRunCache points XDG_CACHE_HOME (tomebench's cache: the synthesised model) at the
// folder shared by this file's tests, keeping ONNX Runtime reachable, and returns the
// folder that holds the shared runs.
func useRunCache(t *testing.T) string {
	t.Helper()
	if runRoot == "" {
		dir, err := os.MkdirTemp("", "tomebench-cli-run-")
		if err != nil {
			t.Fatal(err)
		}
		runRoot = dir
		for _, sub := range []string{"cache", "runs"} {
			if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(runRoot, "cache"))
	if runORTLibrary != "" {
		t.Setenv(ort.EnvLibrary, runORTLibrary)
	}
	return filepath.Join(runRoot, "runs")
}

// runConfig is a small run on the tiny synthesised model: none and ToMe 0.5, 4 images
// each (2 ImageNet classes × 2) in batches of 2, 5 PNDM steps at 64×64, FID against the
// baseline with the built-in deterministic Inception weights.
func runConfig(seed int) string {
	return fmt.Sprintf(`name: cli-run-test
model:
  synth: {arch: tiny, seed: 1}
generation:
  size: 64
  steps: 5
  scheduler: pndm
  batch_size: 2
  seed: %d
prompts:
  imagenet: {classes: 2, per_class: 2}
sweep:
  - method: none
  - method: tome
    ratio: 0.5
fid:
  reference: baseline
  weights: formula:det
  dims: 64
  batch_size: 8
`, seed)
}

// writeRunConfig writes text to dir/name and returns its path.
func writeRunConfig(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wholeRun returns the unsharded run of runConfig(1), running it on first use.
func wholeRun(t *testing.T) *runResult {
	t.Helper()
	orttest.Require(t)
	runs := useRunCache(t)
	if runWhole != nil {
		return runWhole
	}
	cfg := writeRunConfig(t, runs, "whole.yaml", runConfig(1))
	out := filepath.Join(runs, "whole")
	code, stdout, stderr := tomebench("run", cfg, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("run %s: exit %d\nstdout:\n%s\nstderr:\n%s", cfg, code, stdout, stderr)
	}
	runWhole = &runResult{cfg: cfg, out: out, stdout: stdout, stderr: stderr}
	return runWhole
}

// readJSON decodes the JSON file path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// treeHashes returns the SHA-256 of every file below dir, by path relative to dir
// (nil when dir does not exist).
func treeHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(s[:])
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// listTree lists every path below dir (folders included), sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestRunBadConfigs: a config that cannot run exits 1 with one error line naming the
// file (and line and key where there is one), prints nothing on stdout and writes
// nothing: no run folder, no other file.
func TestRunBadConfigs(t *testing.T) {
	useRunCache(t)
	dir := t.TempDir()
	good := runConfig(1)
	// A valid config with one line replaced.
	edit := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("runConfig has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	cases := []struct {
		name, text string // text "" with name "missing.yaml": no file at all
		code       int
		want       []string
	}{
		{"unknown.yaml", edit("  steps: 5\n", "  steps: 5\n  colour: red\n"), 1,
			[]string{"unknown.yaml:7: generation.colour: unknown key"}},
		{"ratio.yaml", edit("ratio: 0.5", "ratio: 1.5"), 1,
			[]string{"ratio.yaml:15: sweep[1].ratio: 1.5 is outside [0, 1]"}},
		{"sxsy.yaml", edit("ratio: 0.5\n", "ratio: 0.5\n    sx: 1\n    sy: 1\n"), 1,
			[]string{"sxsy.yaml:", "sweep[1].sx/sy: sx*sy = 1"}},
		{"model.yaml", edit("synth: {arch: tiny, seed: 1}", "path: /nonexistent/x"), 1,
			[]string{"model.yaml:3: model.path:", "/nonexistent/x"}},
		{"reference.yaml", edit("reference: baseline", "reference: /nonexistent/ref"), 1,
			[]string{"reference.yaml:17: fid.reference: reference /nonexistent/ref: no such file or directory"}},
		{"garbage.yaml", "name: [unclosed\n\x00\x01 :: }}\n", 1,
			[]string{"garbage.yaml", "not valid YAML"}},
		{"tabs.yaml", strings.ReplaceAll(good, "\n  ", "\n\t"), 1,
			[]string{"tabs.yaml:3: not valid YAML"}},
		{"tab.yaml", edit("  steps: 5", "\tsteps: 5"), 1,
			[]string{"tab.yaml:6: not valid YAML: found a tab character that violates indentation (indent with spaces)"}},
		{"empty.yaml", "", 1, []string{"empty.yaml: empty config"}},
		{"comments.yaml", "# nothing here\n", 1, []string{"comments.yaml: empty config"}},
		{"missing.yaml", "", 1, []string{"missing.yaml: cannot read config: no such file or directory"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(dir, c.name)
			if c.name != "missing.yaml" {
				writeRunConfig(t, dir, c.name, c.text)
			}
			out := filepath.Join(dir, "out-"+c.name)
			before := listTree(t, dir)
			code, stdout, stderr := tomebench("run", cfg, "--out", out, "--quiet")
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "tomebench run: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("stderr %q, want one line starting with %q", stderr, "tomebench run: ")
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the out folder %s was created (%v)", out, err)
			}
			if after := listTree(t, dir); !slices.Equal(before, after) {
				t.Errorf("files changed: before %q, after %q", before, after)
			}
		})
	}
}

// TestRunBadPaths: CheckPaths reports every missing path of a config at once, each
// naming the file, line and key.
func TestRunBadPaths(t *testing.T) {
	useRunCache(t)
	dir := t.TempDir()
	text := strings.Replace(runConfig(1), "synth: {arch: tiny, seed: 1}", "path: /nonexistent/x", 1)
	text = strings.Replace(text, "reference: baseline", "reference: /nonexistent/ref", 1)
	cfg := writeRunConfig(t, dir, "paths.yaml", text)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := tomebench("run", cfg, "--out", out)
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q; want exit 1 and nothing", code, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "tomebench run: ") {
		t.Fatalf("stderr %q: want two lines (the joined errors), the first starting with %q", stderr, "tomebench run: ")
	}
	for i, w := range []string{cfg + ":3: model.path:", cfg + ":17: fid.reference: reference /nonexistent/ref"} {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q does not say %q", i+1, lines[i], w)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the out folder %s was created (%v)", out, err)
	}
}

// TestRunUsage: bad command lines of run, plan and merge exit 2 and write nothing.
func TestRunUsage(t *testing.T) {
	useRunCache(t)
	dir := t.TempDir()
	cfg := writeRunConfig(t, dir, "c.yaml", runConfig(1))
	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "tomebench run: want one config file, got 0 arguments"},
		{[]string{"run", cfg, cfg, "--out", out}, "tomebench run: want one config file, got 2 arguments"},
		{[]string{"run", cfg, "--out", out, "--shard", "2/2"}, "tomebench run: --shard:"},
		{[]string{"plan"}, "tomebench plan: want one config file, got 0 arguments"},
		{[]string{"merge", dir}, "tomebench merge: want one or more run folders and --out DIR"},
		{[]string{"merge", "--out", out}, "tomebench merge: want one or more run folders and --out DIR"},
	}
	for _, c := range cases {
		before := listTree(t, dir)
		code, stdout, stderr := tomebench(c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
		if after := listTree(t, dir); !slices.Equal(before, after) {
			t.Errorf("%v: files changed: before %q, after %q", c.args, before, after)
		}
	}
}

// TestRunUnknownFlag: an unknown flag is a usage error like the others: exit 2, the
// message once on stderr, nothing on stdout.
func TestRunUnknownFlag(t *testing.T) {
	code, stdout, stderr := tomebench("run", "c.yaml", "--bogus")
	const want = "tomebench run: flag provided but not defined: -bogus\nRun 'tomebench run --help' for usage.\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout and stderr %q", code, stdout, stderr, want)
	}
}

// TestRunChildError: a failing child process (the hidden variant subcommand) ends its
// stderr with its own "error: ..." line, which the runner's parent takes as the reason
// of the failure (runner/child.go keeps the last line), and exits with ChildMain's status.
func TestRunChildError(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := tomebench(runner.ChildSubcommand, "--dir", filepath.Join(dir, "nonexistent"),
		"--model", dir, "--variant", "000000000000", "--cache", dir)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if code != 1 || stdout != "" || !strings.HasPrefix(lines[len(lines)-1], "error: ") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and a last stderr line starting with %q", code, stdout, stderr, "error: ")
	}
}

// TestRunFIDMatchesFIDCommand is the acceptance check of the run's FID: each variant's
// FID in metrics.json equals, bit for bit, `tomebench fid` of its image folder against
// the baseline's; the report files are written and the Markdown table printed.
func TestRunFIDMatchesFIDCommand(t *testing.T) {
	r := wholeRun(t)
	var plan experiments.Plan
	var metrics experiments.Metrics
	readJSON(t, filepath.Join(r.out, "plan.json"), &plan)
	readJSON(t, filepath.Join(r.out, "metrics.json"), &metrics)
	if len(plan.Variants) != 2 || plan.Baseline == "" || len(metrics.Variants) != 2 {
		t.Fatalf("plan has %d variants (baseline %q), metrics %d; want 2 with a baseline", len(plan.Variants), plan.Baseline, len(metrics.Variants))
	}
	for _, vm := range metrics.Variants {
		if vm.FID == nil {
			t.Errorf("variant %s: no FID in metrics.json", vm.Variant)
			continue
		}
		code, stdout, stderr := tomebench("fid", "--weights", "formula:det", "--dims", "64", "--json",
			filepath.Join(r.out, "images", vm.Variant), filepath.Join(r.out, "images", plan.Baseline))
		if code != 0 {
			t.Fatalf("fid %s: exit %d: %s", vm.Variant, code, stderr)
		}
		var rep struct {
			FID *float64 `json:"fid"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.FID == nil {
			t.Fatalf("fid --json: %v (FID %v)\n%s", err, rep.FID, stdout)
		}
		if *rep.FID != *vm.FID {
			t.Errorf("variant %s: metrics.json FID %v, tomebench fid %v", vm.Variant, *vm.FID, *rep.FID)
		}
	}
	for _, f := range []string{"report.md", "report.csv", "report.tex", "report.html", "plots/fid_vs_time.png"} {
		if st, err := os.Stat(filepath.Join(r.out, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	if !strings.HasPrefix(r.stdout, "| method | r% | FID |") {
		t.Errorf("stdout does not start with the Markdown table:\n%s", r.stdout)
	}
	for _, v := range plan.Variants {
		if !strings.Contains(r.stdout, "| "+v.Label+" |") {
			t.Errorf("stdout has no row for %s:\n%s", v.Label, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "8 images made in ") {
		t.Errorf("stderr does not say that 8 images were made:\n%s", r.stderr)
	}
}

// TestRunRerunResumes: rerunning a finished run makes no image and leaves every image
// byte-identical.
func TestRunRerunResumes(t *testing.T) {
	r := wholeRun(t)
	images := filepath.Join(r.out, "images")
	before := treeHashes(t, images)
	if len(before) != 8 {
		t.Fatalf("%d images in %s, want 8", len(before), images)
	}
	code, stdout, stderr := tomebench("run", r.cfg, "--out", r.out, "--quiet")
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "0 images made in ") {
		t.Errorf("rerun stderr does not say %q:\n%s", "0 images made", stderr)
	}
	if !strings.HasPrefix(stdout, "| method |") {
		t.Errorf("rerun stdout is not the table:\n%s", stdout)
	}
	after := treeHashes(t, images)
	if len(after) != len(before) {
		t.Errorf("rerun: %d images, %d before", len(after), len(before))
	}
	for f, h := range before {
		if after[f] != h {
			t.Errorf("rerun changed %s", f)
		}
	}
}

// TestPlan: `plan` prints every variant's ID and label (those of the run's plan.json);
// --calibrate adds time estimates.
func TestPlan(t *testing.T) {
	r := wholeRun(t)
	var plan experiments.Plan
	readJSON(t, filepath.Join(r.out, "plan.json"), &plan)
	code, stdout, stderr := tomebench("plan", r.cfg)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	for _, v := range plan.Variants {
		if !strings.Contains(stdout, v.ID) || !strings.Contains(stdout, v.Label) {
			t.Errorf("plan output lacks variant %s (%s):\n%s", v.ID, v.Label, stdout)
		}
	}
	if !strings.Contains(stdout, "2 variants, 8 images, 24 UNet calls") {
		t.Errorf("plan output lacks the totals:\n%s", stdout)
	}
	if _, err := os.Stat("runs"); err == nil {
		t.Errorf("plan created a runs folder in %s", func() string { d, _ := os.Getwd(); return d }())
	}

	// With fused attention the plan says so, and its variants get IDs of their own.
	fused := writeRunConfig(t, t.TempDir(), "fused.yaml", strings.Replace(runConfig(1), "  synth: {arch: tiny, seed: 1}\n", "  synth: {arch: tiny, seed: 1}\n  attention: fused\n", 1))
	code, fusedOut, stderr := tomebench("plan", fused)
	if code != 0 {
		t.Fatalf("plan (fused attention): exit %d: %s", code, stderr)
	}
	if first, _, _ := strings.Cut(fusedOut, "\n"); !strings.Contains(first, "fp32, fused attention, cpu") {
		t.Errorf("plan with fused attention: first line %q does not say so", first)
	}
	for _, v := range plan.Variants {
		if strings.Contains(fusedOut, v.ID) {
			t.Errorf("plan with fused attention reuses the plain variant ID %s (%s)", v.ID, v.Label)
		}
	}

	code, stdout, stderr = tomebench("plan", "--calibrate", r.cfg)
	if code != 0 {
		t.Fatalf("plan --calibrate: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "TOTAL (EST.)") || !strings.Contains(stdout, " s\n") || !strings.Contains(stdout, "on this machine") {
		t.Errorf("plan --calibrate prints no estimates:\n%s", stdout)
	}
	for _, v := range plan.Variants {
		if !strings.Contains(stdout, v.ID) {
			t.Errorf("plan --calibrate output lacks variant %s:\n%s", v.ID, stdout)
		}
	}
}

// tableColumns parses a Markdown table (the first lines of s up to a blank line) into
// its rows, each a map from column header to cell.
func tableColumns(t *testing.T, s string) []map[string]string {
	t.Helper()
	cells := func(line string) []string {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
			t.Fatalf("not a table line: %q", line)
		}
		parts := strings.Split(line[1:len(line)-1], " | ")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	lines := strings.Split(s, "\n")
	if len(lines) < 3 {
		t.Fatalf("no table in %q", s)
	}
	head := cells(lines[0])
	var rows []map[string]string
	for _, l := range lines[2:] {
		if l == "" {
			break
		}
		c := cells(l)
		if len(c) != len(head) {
			t.Fatalf("row %q has %d cells, header %d", l, len(c), len(head))
		}
		row := map[string]string{}
		for i, h := range head {
			row[h] = c[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// TestMerge: the two halves of a run (--shard 0/2 and 1/2) write no report and say that
// images are missing; merged, they give the same metrics as the unsharded run. Folders
// of another config do not merge.
func TestMerge(t *testing.T) {
	whole := wholeRun(t)
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	for i, out := range []string{a, b} {
		shard := fmt.Sprintf("%d/2", i)
		code, stdout, stderr := tomebench("run", whole.cfg, "--out", out, "--shard", shard, "--quiet")
		if code != 0 {
			t.Fatalf("run --shard %s: exit %d: %s", shard, code, stderr)
		}
		if stdout != "" {
			t.Errorf("run --shard %s: stdout %q, want nothing", shard, stdout)
		}
		if !strings.Contains(stderr, "4 images made in ") || !strings.Contains(stderr, "4 images of the plan are still missing (other shards)") {
			t.Errorf("run --shard %s: stderr does not say 4 made, 4 missing:\n%s", shard, stderr)
		}
		for _, f := range []string{"metrics.json", "report.md", "report.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err == nil {
				t.Errorf("run --shard %s wrote %s", shard, f)
			}
		}
	}
	code, _, stderr := tomebench("merge", a, b, "--out", c)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "merged 2 folders into "+c) {
		t.Errorf("merge stderr:\n%s", stderr)
	}
	for _, f := range []string{"metrics.json", "report.md", "report.html", "plots/fid_vs_time.png"} {
		if _, err := os.Stat(filepath.Join(c, f)); err != nil {
			t.Errorf("merge: %v", err)
		}
	}
	// The merged images are the unsharded run's, byte for byte.
	wholeImages, merged := treeHashes(t, filepath.Join(whole.out, "images")), treeHashes(t, filepath.Join(c, "images"))
	if len(merged) != 8 || len(wholeImages) != 8 {
		t.Errorf("%d merged images, %d unsharded; want 8", len(merged), len(wholeImages))
	}
	for f, h := range wholeImages {
		if merged[f] != h {
			t.Errorf("merged %s differs from the unsharded run's", f)
		}
	}
	// Same table, but for the timings.
	report := func(dir string) []map[string]string {
		code, stdout, stderr := tomebench("report", dir)
		if code != 0 {
			t.Fatalf("report %s: exit %d: %s", dir, code, stderr)
		}
		return tableColumns(t, stdout)
	}
	got, want := report(c), report(whole.out)
	if len(got) != len(want) || len(want) != 2 {
		t.Fatalf("merged table has %d rows, unsharded %d; want 2", len(got), len(want))
	}
	for i := range want {
		for _, col := range []string{"method", "r%", "FID", "PSNR", "SSIM", "images"} {
			w, ok := want[i][col]
			if !ok && col != "PSNR" && col != "SSIM" {
				t.Errorf("unsharded table has no column %q", col)
			}
			if g := got[i][col]; g != w {
				t.Errorf("row %d column %s: merged %q, unsharded %q", i, col, g, w)
			}
		}
	}

	// --out naming an existing file is refused, and the file kept (--no-report: no
	// metrics to wait for if the merge goes ahead).
	file := writeRunConfig(t, dir, "file.txt", "keep me\n")
	code, stdout, stderr := tomebench("merge", a, b, "--out", file, "--no-report")
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "tomebench merge: ") || !strings.Contains(stderr, file) {
		t.Errorf("merge --out FILE: exit %d, stdout %q, stderr %q; want exit 1 naming %s", code, stdout, stderr, file)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me\n" {
		t.Errorf("merge --out FILE: the file is gone or changed (%q, %v)", b, err)
	}

	// A folder of another config (another seed) is refused; nothing is written.
	other := writeRunConfig(t, dir, "other.yaml", runConfig(2))
	d := filepath.Join(dir, "d")
	if code, _, stderr := tomebench("run", other, "--out", d, "--shard", "1/2", "--quiet"); code != 0 {
		t.Fatalf("run other --shard 1/2: exit %d: %s", code, stderr)
	}
	e := filepath.Join(dir, "e")
	before := listTree(t, dir)
	code, stdout, stderr = tomebench("merge", a, d, "--out", e)
	if code != 1 || stdout != "" {
		t.Errorf("merge of two configs: exit %d, stdout %q; want exit 1", code, stdout)
	}
	if !strings.HasPrefix(stderr, "tomebench merge: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, d) {
		t.Errorf("merge of two configs: stderr %q: want one line naming %s", stderr, d)
	}
	if _, err := os.Stat(e); !os.IsNotExist(err) {
		t.Errorf("merge of two configs created %s (%v)", e, err)
	}
	if after := listTree(t, dir); !slices.Equal(before, after) {
		t.Errorf("merge of two configs changed files: before %q, after %q", before, after)
	}
}

// TestRunHelpListsCommands: `tomebench help` lists the run commands but not the hidden
// child subcommand.
func TestRunHelpListsCommands(t *testing.T) {
	code, stdout, _ := tomebench("help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, name := range []string{"run", "plan", "merge", "report"} {
		if !strings.Contains(stdout, "\t"+name+" ") {
			t.Errorf("help does not list %s:\n%s", name, stdout)
		}
	}
	if strings.Contains(stdout, runner.ChildSubcommand) {
		t.Errorf("help lists the hidden %s:\n%s", runner.ChildSubcommand, stdout)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "help.stdout"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(golden, []byte(stdout)) {
		t.Errorf("help output differs from testdata/help.stdout")
	}
}
