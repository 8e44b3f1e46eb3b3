package experiments

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustExpand(t *testing.T, c *Config, id string) *Plan {
	t.Helper()
	p, err := c.Expand(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func labels(vs []Variant) []string {
	var l []string
	for _, v := range vs {
		l = append(l, v.Label)
	}
	return l
}

// TestSmokeGolden pins the expansion of configs/smoke.yaml.
func TestSmokeGolden(t *testing.T) {
	c, err := Load("../configs/smoke.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := mustExpand(t, c, "ident")
	if got, want := labels(p.Variants), []string{"none", "tome r=0.3", "tome r=0.5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
	if p.Baseline != p.Variants[0].ID || p.Format != FormatVersion || p.Model.Path != "synth:tiny:1" {
		t.Errorf("baseline %q, format %q, model %q", p.Baseline, p.Format, p.Model.Path)
	}
	wantPrompts := []string{"tench", "goldfish", "great white shark", "tiger shark"}
	if len(p.Prompts.Prompts) != 8 {
		t.Fatalf("%d prompts, want 8", len(p.Prompts.Prompts))
	}
	for j, pr := range p.Prompts.Prompts {
		if want := "A high quality photograph of a " + wantPrompts[j%4] + "."; pr != want {
			t.Errorf("prompt %d %q, want %q", j, pr, want)
		}
	}
	if p.Generation != (GenerationPlan{Height: 64, Width: 64, Steps: 20, Scheduler: "pndm", Guidance: 7.5, BatchSize: 2}) {
		t.Errorf("generation %+v", p.Generation)
	}
	if f := p.FID; f == nil || *f != (FIDPlan{Reference: "baseline", Weights: "formula:det", Dims: 2048, BatchSize: 8, Method: "exact"}) {
		t.Errorf("fid %+v", f)
	}
}

// TestSweepOrder: entries in order; within one, sx outermost ... ratio innermost.
func TestSweepOrder(t *testing.T) {
	c := mustParse(t, `name: o
model: {synth: {arch: tiny}}
prompts: {imagenet: {classes: 1}}
sweep:
  - method: tome
    sx: [2, 4]
    use_rand: [true, false]
    ratio: [0.2, 0, 0.4]
  - method: none
  - method: tome
    schedule:
      - {linear: [0.6, 0.4]}
      - {linear: [0.6, 0.4], quantum: 0.1}
      - {two_phase: {first: 0.6, steps: 20, then: 0.3}}
    merge_crossattn: true
    merge_mlp: true
    merge_attn: false
    max_downsample: 2
  - method: tome
    ratio: 0.2
`)
	want := []string{
		"tome r=0.2", "none", "tome r=0.4",
		"tome r=0.2 fixed", "tome r=0.4 fixed",
		"tome r=0.2 sx=4 sy=2", "tome r=0.4 sx=4 sy=2",
		"tome r=0.2 sx=4 sy=2 fixed", "tome r=0.4 sx=4 sy=2 fixed",
		"tome 0.6→0.4 (linear) md=2 +xattn +mlp -attn",
		"tome 0.6→0.4 (linear, q=0.1) md=2 +xattn +mlp -attn",
		"tome 0.6@20→0.3 md=2 +xattn +mlp -attn",
	}
	if got := labels(c.Variants); !reflect.DeepEqual(got, want) {
		t.Errorf("labels\n%q\nwant\n%q", got, want)
	}
	if c.Baseline != "none" {
		t.Errorf("baseline %q", c.Baseline)
	}
	// ratio 0 four times (noted) and none once more; "tome r=0.2" twice more: merged.
	if n := len(c.Warnings); n != 4+4+1 {
		t.Errorf("%d warnings: %q", n, c.Warnings)
	}
	p := mustExpand(t, c, "m")
	if p.Variants[1].ID != p.Baseline || p.Variants[1].ToMe != nil {
		t.Errorf("ratio 0 not normalised to none: %+v", p.Variants[1])
	}
}

func TestWarnings(t *testing.T) {
	c := mustParse(t, `name: w
model: {path: m}
prompts: {imagenet: {}}
sweep:
  - method: tome
    ratio: [0.75, 0.8]
  - method: tome
    sx: 3
    sy: 1
    schedule: {linear: [0.5, 0.9]}
  - method: tome
    merge_attn: false
`)
	want := [][]string{
		nil,
		{"ratio 0.8 exceeds 1-1/(sx*sy) = 0.75: tomesd merges at most the src tokens, so it acts as 0.75"},
		{"ratio 0.9 exceeds 1-1/(sx*sy) = 0.6667: tomesd merges at most the src tokens, so it acts as 0.6667"},
		{"merge_attn, merge_crossattn and merge_mlp are all false: nothing is merged, the images are the baseline's"},
	}
	for i, v := range c.Variants {
		if !reflect.DeepEqual(v.Warnings, want[i]) {
			t.Errorf("%s: warnings %q, want %q", v.Label, v.Warnings, want[i])
		}
	}
}

// TestIDFields changes each field of the VariantKey (the ID must change) and each
// field left out of it (the ID must stay).
func TestIDFields(t *testing.T) {
	const cfg = `name: ids
out: runs/a
model:
  path: m
  precision: fp32
  provider: cpu
  threads: 0
generation:
  size: 64
  steps: 20
  scheduler: pndm
  guidance: 7.5
  batch_size: 2
  seed: 0
prompts:
  imagenet: {per_class: 1, classes: 4}
sweep:
  - method: tome
    ratio: 0.5
fid: {reference: ref.npz}
`
	id := func(yaml, ident string) string {
		t.Helper()
		return mustExpand(t, mustParse(t, yaml), ident).Variants[0].ID
	}
	ref := id(cfg, "m1")
	if ref != id(cfg, "m1") || len(ref) != 12 {
		t.Fatalf("ID %q not stable", ref)
	}
	if id(cfg, "m2") == ref {
		t.Error("model identity does not change the ID")
	}
	for _, tc := range []struct {
		old, new string
		changes  bool
	}{
		{"precision: fp32", "precision: fp16", true},
		{"precision: fp32", "precision: fp32\n  attention: fused", true},
		{"provider: cpu", "provider: cuda", true},
		{"size: 64", "height: 64\n  width: 72", true},
		{"size: 64", "height: 72\n  width: 64", true},
		{"steps: 20", "steps: 21", true},
		{"scheduler: pndm", "scheduler: ddim", true},
		{"guidance: 7.5", "guidance: 7", true},
		{"batch_size: 2", "batch_size: 3", true},
		{"seed: 0", "seed: 1", true},
		{"ratio: 0.5", "ratio: 0.4", true},
		{"ratio: 0.5", "ratio: 0.5\n    sx: 4", true},
		{"ratio: 0.5", "ratio: 0.5\n    sy: 4", true},
		{"ratio: 0.5", "ratio: 0.5\n    max_downsample: 2", true},
		{"ratio: 0.5", "ratio: 0.5\n    use_rand: false", true},
		{"ratio: 0.5", "ratio: 0.5\n    merge_attn: false", true},
		{"ratio: 0.5", "ratio: 0.5\n    merge_crossattn: true", true},
		{"ratio: 0.5", "ratio: 0.5\n    merge_mlp: true", true},
		{"ratio: 0.5", "schedule: {linear: [0.5, 0.4]}", true},
		{"- method: tome\n    ratio: 0.5", "- method: none", true},
		// Left out of the key.
		{"scheduler: pndm", "scheduler: plms", false}, // the same class
		{"size: 64", "height: 64\n  width: 64", false},
		{"ratio: 0.5", "ratio: 0.50", false},
		{"ratio: 0.5", "ratio: 0.5\n    sx: 2\n    use_rand: true", false}, // defaults spelled out
		{"name: ids", "name: other", false},
		{"out: runs/a", "out: runs/b", false},
		{"threads: 0", "threads: 8", false},
		{"precision: fp32", "precision: fp32\n  attention: plain", false}, // the default: earlier IDs stay
		{"path: m", "path: elsewhere/m", false},                           // same identity
		{"per_class: 1, classes: 4", "per_class: 3, classes: 10", false},
		{"imagenet: {per_class: 1, classes: 4}", `imagenet: {template: "a {}", classes: 4}`, false},
		{"fid: {reference: ref.npz}", "fid: {reference: x.npz, dims: 64}", false},
	} {
		yaml := strings.Replace(cfg, tc.old, tc.new, 1)
		if yaml == cfg && tc.old != tc.new {
			t.Fatalf("%q not in the config", tc.old)
		}
		if got := id(yaml, "m1"); (got != ref) != tc.changes {
			t.Errorf("%q -> %q: ID %s (was %s), want change %v", tc.old, tc.new, got, ref, tc.changes)
		}
	}
}

func TestRatioAt(t *testing.T) {
	lin := &Schedule{Kind: ScheduleLinear, From: 0.6, To: 0.4, Quantum: 0.05}
	// 0.6 + (0.4-0.6)*step/9, rounded to 0.05 (halves away from zero, math.Round):
	// step 0..9 -> 0.6, 0.578, 0.556, 0.533, 0.511, 0.489, 0.467, 0.444, 0.422, 0.4
	want := []float64{0.6, 0.6, 0.55, 0.55, 0.5, 0.5, 0.45, 0.45, 0.4, 0.4}
	v := Variant{Method: MethodToMe, ToMe: &ToMeSettings{Ratio: 0.6}, Schedule: lin}
	if got := v.Ratios(10); !reflect.DeepEqual(got, want) {
		t.Errorf("linear ratios %v, want %v", got, want)
	}
	if got := lin.RatioAt(0, 1); got != 0.6 {
		t.Errorf("one step: %v", got)
	}
	two := &Schedule{Kind: ScheduleTwoPhase, From: 0.6, To: 0.3, Switch: 2}
	v = Variant{Method: MethodToMe, ToMe: &ToMeSettings{Ratio: 0.6}, Schedule: two}
	if got := v.Ratios(5); !reflect.DeepEqual(got, []float64{0.6, 0.6, 0.3, 0.3, 0.3}) {
		t.Errorf("two-phase ratios %v", got)
	}
	if got := two.RatioAt(99, 5); got != 0.3 {
		t.Errorf("clamped step: %v", got)
	}
	if got := (Variant{Method: MethodToMe, ToMe: &ToMeSettings{Ratio: 0.3}}).Ratios(3); !reflect.DeepEqual(got, []float64{0.3, 0.3, 0.3}) {
		t.Errorf("constant ratios %v", got)
	}
	if got := (Variant{Method: MethodNone}).Ratios(2); !reflect.DeepEqual(got, []float64{0, 0}) {
		t.Errorf("none ratios %v", got)
	}
}

func TestCompatible(t *testing.T) {
	const cfg = "name: c\nmodel: {path: m}\ngeneration: {size: 64}\nprompts: {imagenet: {classes: 3, per_class: 1}}\n" +
		"sweep: [{method: none}, {method: tome, ratio: [0.3]}]\n"
	old := mustExpand(t, mustParse(t, cfg), "m")
	for _, tc := range []struct {
		old, new, ident string
		err             string // "" = compatible
	}{
		{"", "", "m", ""},
		{"ratio: [0.3]", "ratio: [0.3, 0.5]", "m", ""},
		{"per_class: 1", "per_class: 4", "m", ""},
		{"classes: 3, ", "", "m", ""}, // 1000 classes: the first 3 prompts are the same
		{"ratio: [0.3]", "ratio: [0.5]", "m", ""},
		{"", "", "m2", "the model changed"},
		{"size: 64", "size: 128", "m", "the generation settings changed"},
		{"model: {path: m}", "model: {path: m, attention: fused}", "m", "attention changed (plain, now fused)"},
		{"classes: 3, per_class: 1", "classes: 2, per_class: 2", "m", `the prompts changed: image 2 was "A high quality photograph of a great white shark.", now "A high quality photograph of a tench."`},
		{"imagenet: {", "imagenet: {template: \"a {}\", ", "m", "the prompts changed: image 0"},
	} {
		p := mustExpand(t, mustParse(t, strings.Replace(cfg, tc.old, tc.new, 1)), tc.ident)
		err := p.Compatible(old)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q -> %q: %v, want %q", tc.old, tc.new, err, tc.err)
		}
		if err == nil {
			for _, v := range old.Variants {
				for _, w := range p.Variants {
					if v.Label == w.Label && v.ID != w.ID {
						t.Errorf("%s: ID %s became %s", v.Label, v.ID, w.ID)
					}
				}
			}
		}
	}
}

func TestPlanHash(t *testing.T) {
	c := mustParse(t, "name: h\nmodel: {path: m}\nprompts: {imagenet: {classes: 2}}\nsweep: [{method: none}]\n")
	p := mustExpand(t, c, "m")
	q := mustExpand(t, c, "m")
	q.ConfigFile = "elsewhere/h.yaml"
	if p.Hash() != q.Hash() || len(p.Hash()) != 64 {
		t.Errorf("hash depends on ConfigFile: %s %s", p.Hash(), q.Hash())
	}
	q.Prompts.Prompts[1] = "x"
	if p.Hash() == q.Hash() {
		t.Error("hash ignores the prompts")
	}
	// A plan survives a JSON round trip (plan.json) with the same hash.
	b, _ := json.Marshal(p)
	var r Plan
	if err := json.Unmarshal(b, &r); err != nil || r.Hash() != p.Hash() {
		t.Errorf("round trip: %v, %s != %s", err, r.Hash(), p.Hash())
	}
}
