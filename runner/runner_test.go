package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tomebench/tomebench/clipscore"
	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/internal/ort"
)

// The test binary doubles as the child process (ChildSubcommand) and as a whole
// `tomebench run` process ("__run CONFIG OUT CACHE [SHARD]"), so that tests can kill a run
// outright without building the CLI.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case ChildSubcommand:
			os.Exit(ChildMain(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
		case "__run":
			os.Exit(runMain(os.Args[2:]))
		}
	}
	code := m.Run()
	if sharedCache != "" {
		os.RemoveAll(sharedCache)
	}
	os.Exit(code)
}

// runMain runs a config like `tomebench run` does, with this binary as the child.
func runMain(args []string) int {
	cfg, err := experiments.Load(args[0])
	if err == nil {
		_, err = Run(context.Background(), cfg, Options{Out: args[1], CacheDir: args[2], Log: os.Stderr,
			ChildCommand: []string{os.Args[0], ChildSubcommand}, NoMetrics: true})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testConfig is a small run on the tiny synthesised model: 3 variants (one a ratio
// schedule) × 6 images in batches of 2, 8 PNDM steps (9 UNet calls per batch).
const testConfig = `name: runner-test
model:
  synth: {arch: tiny, seed: 1}
generation:
  size: 64
  steps: 8
  batch_size: 2
  seed: 7
prompts:
  imagenet: {classes: 3, per_class: 2}
sweep:
  - method: none
  - method: tome
    ratio: 0.5
  - method: tome
    schedule: [{two_phase: {first: 0.6, steps: 4, then: 0.3}}]
`

// needORT fails the test when ONNX Runtime cannot be loaded (scripts/test.sh installs it).
func needORT(t *testing.T) {
	t.Helper()
	if err := ort.Init(); err != nil {
		t.Fatalf("ONNX Runtime is needed (run scripts/setup.sh): %v", err)
	}
}

// sharedCache is one cache folder (synthesised and converted model) for all tests.
var sharedCache string

func cacheDir(t *testing.T) string {
	t.Helper()
	if sharedCache == "" {
		dir, err := os.MkdirTemp("", "tomebench-runner-cache-")
		if err != nil {
			t.Fatal(err)
		}
		sharedCache = dir
	}
	return sharedCache
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadConfig(t *testing.T, path string) *experiments.Config {
	t.Helper()
	cfg, err := experiments.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runInProcess runs cfg into out (variants in this process).
func runInProcess(t *testing.T, cfg *experiments.Config, out string, shard Shard, metrics bool) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), cfg, Options{Out: out, Shard: shard, CacheDir: cacheDir(t), InProcess: true, NoMetrics: !metrics})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// imageState is what must agree between two runs: every image file's sha256, and the
// image records without their timings, sorted.
type imageState struct {
	files   map[string]string
	records []string
}

func readState(t *testing.T, dir string) imageState {
	t.Helper()
	st := imageState{files: map[string]string{}}
	err := filepath.WalkDir(filepath.Join(dir, "images"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		st.files[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := imageRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		st.records = append(st.records, fmt.Sprintf("%s %d %q %d %s %s %d %d %d", r.Variant, r.Index, r.Prompt, r.Seed, r.File, r.SHA256, r.Batch, r.BatchImages, r.UNetCalls))
	}
	sort.Strings(st.records)
	return st
}

func (a imageState) diff(b imageState) string {
	var d []string
	for f, h := range a.files {
		if b.files[f] != h {
			d = append(d, fmt.Sprintf("%s: %.12s vs %.12s", f, h, b.files[f]))
		}
	}
	for f := range b.files {
		if _, ok := a.files[f]; !ok {
			d = append(d, f+": only in the second run")
		}
	}
	if !slices.Equal(a.records, b.records) {
		d = append(d, fmt.Sprintf("records differ: %d vs %d lines\n%s\nvs\n%s", len(a.records), len(b.records),
			strings.Join(a.records, "\n"), strings.Join(b.records, "\n")))
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}

// TestRunResumeAfterKill kills whole runs (parent and child, SIGKILL) at random moments
// and reruns them: the finished run must hold every image exactly once, each
// byte-identical to an uninterrupted run's.
func TestRunResumeAfterKill(t *testing.T) {
	needORT(t)
	cfgPath := writeConfig(t, testConfig)
	// Synthesise and convert the model first, so that the timed run is a plain run.
	if _, _, err := Resolve(loadConfig(t, cfgPath), cacheDir(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(t.TempDir(), "ref")
	start := time.Now()
	runWhole(t, cfgPath, ref, 0)
	full := time.Since(start)
	want := readState(t, ref)
	if len(want.files) != 18 || len(want.records) != 18 {
		t.Fatalf("uninterrupted run: %d files, %d records; want 18", len(want.files), len(want.records))
	}
	t.Logf("uninterrupted run: %v", full)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	out := filepath.Join(t.TempDir(), "killed")
	kills := 0
	for attempt := 0; attempt < 8 && kills < 3; attempt++ {
		after := time.Duration(rng.Int64N(int64(full) * 4 / 5))
		if runWhole(t, cfgPath, out, after) {
			break // finished before the kill
		}
		kills++
	}
	runWhole(t, cfgPath, out, 0)
	got := readState(t, out)
	if d := want.diff(got); d != "" {
		t.Fatalf("after %d kills, the resumed run differs from the uninterrupted one:\n%s", kills, d)
	}
	t.Logf("%d kills at random moments; resumed run equals the uninterrupted one (18 images, each once)", kills)
	if kills == 0 {
		t.Errorf("no run was killed before finishing: the kill test tested nothing")
	}
}

// runWhole runs the config in a process group of its own; with killAfter > 0 it
// SIGKILLs the whole group after that long. It reports whether the run finished.
func runWhole(t *testing.T, cfgPath, out string, killAfter time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "__run", cfgPath, out, cacheDir(t))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if killAfter <= 0 {
		if err := <-done; err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
		return true
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
		return true
	case <-time.After(killAfter):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		// Wait for the group (a child process) to be gone.
		for i := 0; i < 100 && syscall.Kill(-cmd.Process.Pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
}

// TestShardsMerge runs the config as shards 0/2 and 1/2 into two folders, merges them,
// and checks the merged folder against the unsharded run (timings aside) and its
// metrics; a shard of another config is refused.
func TestShardsMerge(t *testing.T) {
	needORT(t)
	text := testConfig + "fid: {reference: baseline, weights: formula:det, dims: 64, batch_size: 8}\n"
	cfg := loadConfig(t, writeConfig(t, text))
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	sum := runInProcess(t, cfg, whole, Whole, true)
	if sum.Pending != 0 || sum.Metrics == nil {
		t.Fatalf("unsharded run: %d pending, metrics %v", sum.Pending, sum.Metrics)
	}
	var shards []string
	for i := range 2 {
		dir := filepath.Join(tmp, fmt.Sprintf("shard%d", i))
		s := runInProcess(t, cfg, dir, Shard{i, 2}, true)
		if s.Pending == 0 || s.Metrics != nil {
			t.Fatalf("shard %d/2 alone: %d pending, metrics %v; want images missing and no metrics", i, s.Pending, s.Metrics)
		}
		shards = append(shards, dir)
	}
	merged := filepath.Join(tmp, "merged")
	plan, err := Merge(shards, merged)
	if err != nil {
		t.Fatal(err)
	}
	if d := readState(t, whole).diff(readState(t, merged)); d != "" {
		t.Fatalf("merged shards differ from the unsharded run:\n%s", d)
	}
	m, err := Evaluate(context.Background(), merged, plan, EvalOptions{CacheDir: cacheDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	for i, vm := range m.Variants {
		w := sum.Metrics.Variants[i]
		if *vm.FID != *w.FID || (vm.SSIM == nil) != (w.SSIM == nil) || (vm.SSIM != nil && *vm.SSIM != *w.SSIM) {
			t.Errorf("variant %s: merged FID %v SSIM %v; unsharded %v %v", vm.Variant, *vm.FID, vm.SSIM, *w.FID, w.SSIM)
		}
	}
	// Merging a folder twice (the same shard) or a folder of another config fails and
	// leaves nothing.
	if _, err := Merge([]string{shards[0], shards[0]}, filepath.Join(tmp, "dup")); err == nil || !strings.Contains(err.Error(), "same shard") {
		t.Errorf("merging a shard twice: %v", err)
	}
	other := loadConfig(t, writeConfig(t, strings.Replace(text, "seed: 7", "seed: 8", 1)))
	odir := filepath.Join(tmp, "other")
	runInProcess(t, other, odir, Shard{1, 2}, false)
	_, err = Merge([]string{shards[0], odir}, filepath.Join(tmp, "bad"))
	if err == nil || !strings.Contains(err.Error(), "another plan") || !strings.Contains(err.Error(), odir) {
		t.Errorf("merging shards of two configs: %v", err)
	}
	if fileExists(filepath.Join(tmp, "bad")) || fileExists(filepath.Join(tmp, "dup")) {
		t.Errorf("a refused merge left a folder behind")
	}
}

// TestRerunSkipsFinished: a second run of a finished config makes nothing, and a
// config extended by one variant and more images per class makes only the new ones.
func TestRerunSkipsFinished(t *testing.T) {
	needORT(t)
	small := strings.Replace(testConfig, "  - method: tome\n    schedule: [{two_phase: {first: 0.6, steps: 4, then: 0.3}}]\n", "", 1)
	small = strings.Replace(small, "per_class: 2", "per_class: 1", 1)
	out := filepath.Join(t.TempDir(), "run")
	if s := runInProcess(t, loadConfig(t, writeConfig(t, small)), out, Whole, false); s.Generated != 6 {
		t.Fatalf("first run made %d images; want 6", s.Generated)
	}
	before := readState(t, out)
	if s := runInProcess(t, loadConfig(t, writeConfig(t, small)), out, Whole, false); s.Generated != 0 {
		t.Fatalf("rerun made %d images; want 0", s.Generated)
	}
	if s := runInProcess(t, loadConfig(t, writeConfig(t, testConfig)), out, Whole, false); s.Generated != 12 {
		t.Fatalf("extended run made %d images; want 18 - 6 = 12", s.Generated)
	}
	after := readState(t, out)
	for f, h := range before.files {
		if after.files[f] != h {
			t.Errorf("%s changed when the run was extended", f)
		}
	}
	// Changing the prompts of finished images is refused.
	changed := strings.Replace(testConfig, "prompts:\n  imagenet: {classes: 3, per_class: 2}", "prompts:\n  imagenet: {classes: 3, per_class: 2, template: \"a {}\"}", 1)
	_, err := Run(context.Background(), loadConfig(t, writeConfig(t, changed)), Options{Out: out, CacheDir: cacheDir(t), InProcess: true, NoMetrics: true})
	if err == nil || !strings.Contains(err.Error(), "prompt") {
		t.Errorf("rerun with other prompts: %v; want an error about the prompts", err)
	}
}

// TestChildProcessMemory runs one variant in a child process and checks its record:
// a peak RSS at least its resident memory after opening, timings, blocks.
func TestChildProcessMemory(t *testing.T) {
	needORT(t)
	text := strings.Replace(testConfig, "  - method: tome\n    schedule: [{two_phase: {first: 0.6, steps: 4, then: 0.3}}]\n", "", 1)
	cfg := loadConfig(t, writeConfig(t, text))
	out := filepath.Join(t.TempDir(), "run")
	var events []Event
	_, err := Run(context.Background(), cfg, Options{Out: out, CacheDir: cacheDir(t), NoMetrics: true,
		ChildCommand: []string{os.Args[0], ChildSubcommand}, Events: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	run, err := experiments.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Sessions) != 2 {
		t.Fatalf("%d variant sessions; want 2", len(run.Sessions))
	}
	for _, s := range run.Sessions {
		if s.PeakRSSBytes < s.BaseRSSBytes || s.BaseRSSBytes <= 0 || s.Images != 6 || s.PrepareSeconds <= 0 {
			t.Errorf("session %+v: want peak >= base > 0, 6 images, a preparation time", s)
		}
	}
	if tm := run.Sessions[1]; tm.PatchedBlocks == 0 || tm.Blocks == 0 {
		t.Errorf("ToMe session patched %d of %d blocks", tm.PatchedBlocks, tm.Blocks)
	}
	kinds := map[EventKind]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	if kinds[EventVariant] != 2 || kinds[EventImages] != 6 || kinds[EventPrepared] != 2 {
		t.Errorf("events from the children: %v", kinds)
	}
}

// TestCLIPScoreInRun: a config with a clip section gets each variant's CLIP score in
// metrics.json, equal to clipscore's score of the same image files and prompts.
func TestCLIPScoreInRun(t *testing.T) {
	needORT(t)
	model := filepath.Join("..", "..", "shared", "fixtures", "clipscore", "tiny_clip")
	if _, err := os.Stat(model); err != nil {
		t.Skipf("the tiny CLIP fixture is not here (%v): ../shared/fixtures comes with the project's CI", err)
	}
	text := strings.Replace(testConfig, "  - method: tome\n    schedule: [{two_phase: {first: 0.6, steps: 4, then: 0.3}}]\n", "", 1) +
		"clip: {model: " + model + ", batch_size: 4}\n"
	cfg := loadConfig(t, writeConfig(t, text))
	if err := cfg.CheckPaths(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	sum := runInProcess(t, cfg, out, Whole, true)
	m, err := clipscore.Open(model, clipscore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i, v := range sum.Plan.Variants {
		var pairs []clipscore.Pair
		for j, p := range sum.Plan.Prompts.Prompts {
			pairs = append(pairs, clipscore.Pair{Image: filepath.Join(out, ImagePath(v.ID, j)), Prompt: p})
		}
		res, err := m.ScoreFiles(context.Background(), pairs, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := sum.Metrics.Variants[i].CLIP
		if got == nil || got.Score != res.Score || got.N != len(pairs) {
			t.Errorf("%s: run's CLIP %+v; clipscore says %v over %d images", v.Label, got, res.Score, len(pairs))
		}
	}
}

// TestMethodsInRun: DeepCache, ToDo and AgentSD run as sweep variants, patch blocks
// where they are graph rewrites, and make images that differ from the baseline's (the
// fidelity metrics then compare them).
func TestMethodsInRun(t *testing.T) {
	needORT(t)
	text := strings.Replace(testConfig, "  - method: tome\n    ratio: 0.5\n  - method: tome\n    schedule: [{two_phase: {first: 0.6, steps: 4, then: 0.3}}]\n",
		"  - method: deepcache\n    interval: 3\n  - method: todo\n    factor: 2\n  - method: agentsd\n", 1)
	cfg := loadConfig(t, writeConfig(t, text))
	out := filepath.Join(t.TempDir(), "run")
	sum := runInProcess(t, cfg, out, Whole, true)
	if sum.Pending != 0 || len(sum.Plan.Variants) != 4 {
		t.Fatalf("%d pending, %d variants", sum.Pending, len(sum.Plan.Variants))
	}
	for i, vm := range sum.Metrics.Variants {
		v := sum.Plan.Variants[i]
		if v.Method == "none" {
			continue
		}
		if vm.PSNR == nil || vm.PSNR.N == 0 {
			t.Errorf("%s: PSNR %+v; want images that differ from the baseline's", v.Label, vm.PSNR)
		}
	}
	run, err := experiments.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range run.Sessions {
		v := run.Variant(s.Variant)
		if (v.Method == "todo" || v.Method == "agentsd") && s.PatchedBlocks == 0 {
			t.Errorf("%s patched no block: %+v", v.Label, s)
		}
	}
}
