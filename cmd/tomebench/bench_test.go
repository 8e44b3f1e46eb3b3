package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/bench"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestBenchChildProcess is not a test: it is the measurement child of the bench tests
// (the test binary cannot run `tomebench bench __bench`), active only when
// TOMEBENCH_BENCH_CHILD is set.
func TestBenchChildProcess(t *testing.T) {
	if os.Getenv("TOMEBENCH_BENCH_CHILD") != "1" {
		t.Skip("the bench tests' child process")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(bench.ChildMain(t.Context(), args, os.Stdout, os.Stderr))
}

// TestBenchTiny runs `tomebench bench --arch tiny` for two ratios, two rounds, as a
// Markdown table and as JSON, and checks the table's shape and the JSON's fields.
func TestBenchTiny(t *testing.T) {
	orttest.Require(t)
	t.Setenv("TOMEBENCH_BENCH_CHILD", "1")
	benchChildCommand = []string{os.Args[0], "-test.run=^TestBenchChildProcess$", "--"}
	defer func() { benchChildCommand = nil }()
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	if runORTLibrary != "" {
		t.Setenv("ONNXRUNTIME_LIB", runORTLibrary)
	}
	args := []string{"bench", "--arch", "tiny", "--size", "64", "--ratios", "0.5", "--repeat", "2", "--memory-limit", "1"}

	code, out, errOut := tomebench(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var table []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "|") {
			table = append(table, l)
		}
	}
	if len(table) != 4 { // header, separator, ratio 0, ratio 0.5
		t.Fatalf("table has %d lines, want 4:\n%s", len(table), out)
	}
	for _, col := range []string{"s/call (median)", "×faster", "ceiling", "ToMe ops %", "opened GB", "peak RSS GB", "act. GB/im", "GB/im (limit)"} {
		if !strings.Contains(table[0], col) {
			t.Errorf("header lacks %q: %s", col, table[0])
		}
	}
	cells := func(l string) []string { return strings.Split(strings.Trim(l, "| "), " | ") }
	ncol := len(cells(table[0]))
	for _, l := range table[2:] {
		if len(cells(l)) != ncol {
			t.Errorf("row has %d cells, header %d: %s", len(cells(l)), ncol, l)
		}
	}
	if c := cells(table[2]); c[0] != "0" || !strings.HasPrefix(c[4], "1.00×") || c[5] != "—" || c[6] != "—" {
		t.Errorf("ratio 0 row: %q (want r%% 0, speed-up 1.00×, no ceiling, no ToMe share)", c)
	}
	// The ceiling cell reads "1.23× (19%)": above 1×, from a share in (0, 100)%.
	var ceiling, merged float64
	if c := cells(table[3]); c[0] != "50" || c[1] != "3/10" || c[6] == "—" {
		t.Errorf("ratio 0.5 row: %q (want r%% 50, 3/10 blocks patched at a 8×8 latent, a ToMe share)", c)
	} else if n, _ := fmt.Sscanf(c[5], "%f× (%f%%)", &ceiling, &merged); n != 2 || !(ceiling > 1) || !(merged > 0 && merged < 100) {
		t.Errorf("ratio 0.5 row: ceiling %q, want N.NN× (S%%) with N > 1 and 0 < S < 100", c[5])
	}

	code, out, errOut = tomebench(append(args, "--json", "--no-profile")...)
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var res bench.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if res.Environment.ORTVersion == "" || res.Environment.CPU == "" || res.Settings.Provider != "cpu" || res.Settings.Arch != "tiny" {
		t.Errorf("environment/settings incomplete: %+v %+v", res.Environment, res.Settings)
	}
	if len(res.Rows) != 2 || res.Rows[0].Ratio != 0 || res.Rows[1].Ratio != 0.5 {
		t.Fatalf("rows: %+v", res.Rows)
	}
	for _, r := range res.Rows {
		if r.Seconds.N != 2 || len(r.SecondsAll) != 2 || !(r.Seconds.Median > 0) || !(r.Speedup.Median > 0) {
			t.Errorf("ratio %g: times %+v speed-up %+v", r.Ratio, r.Seconds, r.Speedup)
		}
		if r.PeakRSSBytes <= res.WeightsBytes || r.ActivationBytesPerImage <= 0 {
			t.Errorf("ratio %g: peak RSS %d, weights %d, activation/im %d", r.Ratio, r.PeakRSSBytes, res.WeightsBytes, r.ActivationBytesPerImage)
		}
		if r.LimitMaxImages < 1 || r.LimitBytesPerImage != res.Settings.MemoryLimit/int64(r.LimitMaxImages) {
			t.Errorf("ratio %g: limit search %d images, %d B/im", r.Ratio, r.LimitMaxImages, r.LimitBytesPerImage)
		}
		if r.ToMeShare != nil {
			t.Errorf("ratio %g: ToMe share measured with --no-profile", r.Ratio)
		}
	}
	if res.Rows[0].Speedup.Median != 1 {
		t.Errorf("ratio 0 speed-up %g, want 1", res.Rows[0].Speedup.Median)
	}
}

// TestBenchMethods runs `tomebench bench --arch tiny --ratios 0,0.5 --todo-factors 2
// --repeat 1` and checks the ToDo row beside ToMe's: labelled, measured against the
// unpatched call, its own nodes' share attributed; then, as JSON, each row's method.
func TestBenchMethods(t *testing.T) {
	orttest.Require(t)
	t.Setenv("TOMEBENCH_BENCH_CHILD", "1")
	benchChildCommand = []string{os.Args[0], "-test.run=^TestBenchChildProcess$", "--"}
	defer func() { benchChildCommand = nil }()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if runORTLibrary != "" {
		t.Setenv("ONNXRUNTIME_LIB", runORTLibrary)
	}
	args := []string{"bench", "--arch", "tiny", "--size", "64", "--ratios", "0,0.5", "--todo-factors", "2", "--repeat", "1"}

	code, out, errOut := tomebench(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var table [][]string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "|") {
			table = append(table, strings.Split(strings.Trim(l, "| "), " | "))
		}
	}
	if len(table) != 5 { // header, separator, none, ToMe 0.5, ToDo f=2
		t.Fatalf("table has %d lines, want 5:\n%s", len(table), out)
	}
	if table[0][0] != "method" || table[0][6] != "ceiling" || table[0][7] != "ToMe ops %" {
		t.Errorf("header %q: want a method column first", table[0])
	}
	for i, want := range []string{"none", "tome r=0.5", "todo f=2"} {
		c := table[2+i]
		if len(c) != len(table[0]) || c[0] != want {
			t.Fatalf("row %d: %q, want %d cells, method %q", i, c, len(table[0]), want)
		}
		if !strings.HasSuffix(strings.Fields(c[5])[0], "×") {
			t.Errorf("%s: speed-up cell %q", want, c[5])
		}
	}
	if c := table[2]; c[1] != "0" || !strings.HasPrefix(c[5], "1.00×") || c[6] != "—" || c[7] != "—" {
		t.Errorf("reference row: %q", c)
	}
	if c := table[3]; c[1] != "50" || c[2] != "3/10" || c[6] == "—" || c[7] == "—" {
		t.Errorf("ToMe row: %q (want a ceiling and a share)", c)
	}
	if c := table[4]; c[1] != "—" || c[2] != "3/10" || c[6] == "—" || c[7] == "—" {
		t.Errorf("ToDo row: %q (want no ratio, 3/10 blocks at a 8×8 latent, a ceiling, ToDo's share)", c)
	}

	code, out, errOut = tomebench(append(args, "--json", "--no-profile")...)
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var raw struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if len(raw.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(raw.Rows))
	}
	for i, want := range []string{"none", "tome", "todo"} {
		r := raw.Rows[i]
		if r["method"] != want {
			t.Errorf("row %d: method %v, want %q", i, r["method"], want)
		}
		for _, k := range []string{"ratio", "patched_blocks", "blocks", "seconds", "seconds_all", "speedup", "peak_rss_bytes", "activation_bytes_per_image"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row %d (%s) lacks %q", i, want, k)
			}
		}
	}
	if r := raw.Rows[1]; r["ratio"] != 0.5 || r["todo"] != nil {
		t.Errorf("ToMe row: %v", r)
	}
	if f, _ := raw.Rows[2]["todo"].(map[string]any); f == nil || f["factor"] != 2.0 || f["interp"] != "nearest-exact" || f["max_downsample"] != 1.0 {
		t.Errorf("ToDo row's options: %v", raw.Rows[2]["todo"])
	}
	var res bench.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if sp := res.Rows[2].Speedup; sp.N != 1 || !(sp.Median > 0) {
		t.Errorf("ToDo speed-up %+v", sp)
	}
}

// TestBenchAgentSDFlag checks --agentsd's parsing.
func TestBenchAgentSDFlag(t *testing.T) {
	got, err := parseAgentSD("phase1, 0.5:0.8, 0.3:0.9:4:2", 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d settings, want 3", len(got))
	}
	p := got[0]
	if p.Ratio != 0.4 || p.AgentRatio != 0.95 || p.SX != 4 || p.SY != 4 || p.MaxDownsample != 2 || p.UseRand || p.KScale2 != 0.3 || p.KShortcut != 0.075 {
		t.Errorf("phase1: %+v", p)
	}
	if g := got[1]; g.Ratio != 0.5 || g.AgentRatio != 0.8 || g.SX != 2 || g.SY != 2 {
		t.Errorf("0.5:0.8: %+v", g)
	}
	if g := got[2]; g.Ratio != 0.3 || g.AgentRatio != 0.9 || g.SX != 4 || g.SY != 2 {
		t.Errorf("0.3:0.9:4:2: %+v", g)
	}
	if l := bench.AgentSDLabel(p); l != "agentsd r=0.4 a=0.95 s=4" {
		t.Errorf("label %q", l)
	}
}

// TestBenchUsage checks the command line's mistakes.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "--arch", "tiny", "--model", "x"},
		{"bench", "--arch", "nope"},
		{"bench", "--arch", "tiny", "--ratios", "0,x"},
		{"bench", "--arch", "tiny", "--ratios", "1.5"},
		{"bench", "--arch", "tiny", "--attention", "flash"},
		{"bench", "--arch", "tiny", "--precision", "int8"},
		{"bench", "--arch", "tiny", "--size", "100"},
		{"bench", "--arch", "tiny", "--todo-factors", "0.5"},
		{"bench", "--arch", "tiny", "--todo-factors", "2,x"},
		{"bench", "--arch", "tiny", "--agentsd", "0.4"},
		{"bench", "--arch", "tiny", "--agentsd", "0.4:1.5"},
		{"bench", "--arch", "tiny", "--agentsd", "phase2"},
	} {
		if code, _, _ := tomebench(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
