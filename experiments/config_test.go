package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// base is a small valid config; bad cases edit it.
const base = `name: t
model:
  path: models/x
generation:
  size: 64
  steps: 10
prompts:
  imagenet: {classes: 3}
sweep:
  - method: none
  - method: tome
    ratio: [0.3, 0.5]
`

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string // the whole error must contain it
	}{
		{"unknown key", strings.Replace(base, "  steps: 10", "  steps: 10\n  stepz: 3", 1),
			"bad.yaml:7: generation.stepz: unknown key (allowed in generation: size, height, width, steps,"},
		{"ratio out of range", strings.Replace(base, "[0.3, 0.5]", "[0.3, 0.5, 1.5]", 1),
			"bad.yaml:12: sweep[1].ratio[2]: 1.5 is outside [0, 1]"},
		{"sx*sy = 1", base + "    sx: 1\n    sy: 1\n",
			"bad.yaml:14: sweep[1].sx/sy: sx*sy = 1: every token is a dst, nothing can merge"},
		{"wrong type", strings.Replace(base, "steps: 10", `steps: "fifty"`, 1),
			`bad.yaml:6: generation.steps: want an integer, got string "fifty"`},
		{"missing name", strings.Replace(base, "name: t\n", "", 1),
			"bad.yaml:1: name: required"},
		{"bad name", strings.Replace(base, "name: t", "name: a b", 1),
			`bad.yaml:1: name: "a b": use only`},
		{"size and height", strings.Replace(base, "size: 64", "size: 64\n  height: 64", 1),
			"bad.yaml:6: generation.height: size and height/width are exclusive"},
		{"not a multiple of 8", strings.Replace(base, "size: 64", "size: 60", 1),
			"bad.yaml:5: generation.size: 60 is not a multiple of 8"},
		{"tab", strings.Replace(base, "  steps: 10", "\tsteps: 10", 1),
			"bad.yaml:6: not valid YAML: found a tab character that violates indentation (indent with spaces)"},
		{"garbage", "name: [t\nmodel: {",
			"bad.yaml:1: not valid YAML: did not find expected ',' or ']'"},
		{"empty", "", "bad.yaml: empty config"},
		{"comments only", "# nothing\n\n", "bad.yaml: empty config"},
		{"not a mapping", "- a\n- b\n", "bad.yaml:1: the config must be a mapping"},
		{"path and synth", strings.Replace(base, "  path: models/x", "  path: models/x\n  synth: {arch: tiny}", 1),
			"bad.yaml:4: model.synth: path and synth are exclusive"},
		{"neither path nor synth", strings.Replace(base, "  path: models/x", "  precision: fp16", 1),
			"bad.yaml:3: model: give path"},
		{"bad attention", strings.Replace(base, "  path: models/x", "  path: models/x\n  attention: flash", 1),
			`bad.yaml:4: model.attention: "flash": want one of plain, fused`},
		{"bad arch", strings.Replace(base, "  path: models/x", "  synth: {arch: huge}", 1),
			`bad.yaml:3: model.synth.arch: "huge": want one of tiny, sd15, sd2`},
		{"neither prompts source", strings.Replace(base, "  imagenet: {classes: 3}", "  repeat: 2", 1),
			"bad.yaml:8: prompts: give imagenet"},
		{"both prompts sources", strings.Replace(base, "  imagenet: {classes: 3}", "  imagenet: {}\n  file: p.txt", 1),
			"bad.yaml:9: prompts.file: imagenet and file are exclusive"},
		{"template without {}", strings.Replace(base, "{classes: 3}", `{template: "a photo"}`, 1),
			`bad.yaml:8: prompts.imagenet.template: "a photo" must contain {}`},
		{"classes", strings.Replace(base, "{classes: 3}", "{classes: 1001}", 1),
			"bad.yaml:8: prompts.imagenet.classes: 1001 is outside [1, 1000]"},
		{"duplicate key", strings.Replace(base, "name: t", "name: t\nname: u", 1),
			"bad.yaml:2: name: given twice"},
		{"null value", strings.Replace(base, "  steps: 10", "  steps:", 1),
			"bad.yaml:6: generation.steps: no value"},
		{"method none with options", strings.Replace(base, "  - method: none", "  - method: none\n    ratio: 0.5", 1),
			"bad.yaml:11: sweep[0].ratio: method none takes no options"},
		{"unknown method", strings.Replace(base, "method: none", "method: tomato", 1),
			`bad.yaml:10: sweep[0].method: "tomato": want one of none, tome, todo, agentsd, deepcache`},
		{"option of another method", strings.Replace(base, "method: none", "method: deepcache\n    factor: 2", 1),
			`bad.yaml:11: sweep[0].factor: unknown key`},
		{"tome with a deepcache option", strings.Replace(base, "method: none", "method: tome\n    interval: 3", 1),
			`bad.yaml:11: sweep[0].interval: not a tome option`},
		{"agentsd ratio 0", strings.Replace(base, "method: none", "method: agentsd\n    ratio: 0", 1),
			`bad.yaml:11: sweep[0].ratio: 0: AgentSD needs merged tokens`},
		{"empty sweep", strings.SplitN(base, "sweep:", 2)[0] + "sweep: []\n",
			"bad.yaml:9: sweep: empty"},
		{"sweep entry key", strings.Replace(base, "    ratio:", "    rate: 0.1\n    ratio:", 1),
			"bad.yaml:12: sweep[1].rate: unknown key"},
		{"ratio and schedule", base + "    schedule: {linear: [0.6, 0.4]}\n",
			"bad.yaml:13: sweep[1].schedule: ratio and schedule are exclusive"},
		{"schedule ratio", base + "  - method: tome\n    schedule: {linear: [0.6, 1.4]}\n",
			"bad.yaml:14: sweep[2].schedule.linear[1]: 1.4 is outside [0, 1]"},
		{"two_phase steps", base + "  - method: tome\n    schedule:\n      - {two_phase: {first: 0.6, steps: 10, then: 0.3}}\n",
			"bad.yaml:15: sweep[2].schedule[0].two_phase.steps: 10 is outside [1, 9]"},
		{"quantum", base + "  - method: tome\n    schedule: {linear: [0.6, 0.4], quantum: 0}\n",
			"bad.yaml:14: sweep[2].schedule.quantum: 0 is outside (0, 1]"},
		{"max_downsample", base + "    max_downsample: [1, 16]\n",
			"bad.yaml:13: sweep[1].max_downsample[1]: 16 is outside [1, 8]"},
		{"use_rand type", base + "    use_rand: yes\n",
			`bad.yaml:13: sweep[1].use_rand: want true or false, got string "yes"`},
		{"unknown baseline", base + "baseline: tome r=0.4\n",
			`bad.yaml:13: baseline: "tome r=0.4" is not a variant label (labels: "none", "tome r=0.3", "tome r=0.5")`},
		{"fid without reference", base + "fid: {dims: 2048}\n",
			"bad.yaml:13: fid.reference: required"},
		{"fid dims", base + "fid: {reference: baseline, dims: 1000}\n",
			"bad.yaml:13: fid.dims: 1000: want 64, 192, 768 or 2048"},
		{"fid interval", base + "fid:\n  reference: baseline\n  interval: {size: 1, reps: 20}\n",
			"bad.yaml:15: fid.interval.size: 1 is below 2"},
		{"fid baseline without none", strings.Replace(base, "  - method: none\n", "", 1) + "fid: {reference: baseline}\n",
			`bad.yaml:12: fid.reference: "baseline" needs a baseline variant`},
		{"seed negative", strings.Replace(base, "steps: 10", "seed: -1", 1),
			"bad.yaml:6: generation.seed: -1 is not an unsigned 64-bit integer"},
		{"two documents", base + "---\nname: u\n", "bad.yaml:13: more than one YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %T, want *ConfigError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n\t%s\nwant it to contain\n\t%s", err, tc.want)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p+": cannot read config") {
		t.Fatalf("got %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("d.yaml", []byte("name: d\nmodel: {path: m}\nprompts: {imagenet: {}}\nsweep: [{method: tome}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Generation
	if g != (GenerationConfig{Height: 512, Width: 512, Steps: 50, Scheduler: "pndm", Guidance: 7.5, BatchSize: 1}) {
		t.Errorf("generation defaults %+v", g)
	}
	if c.Out != "runs/d" || c.Model.Precision != "fp32" || c.Model.Provider != "cpu" || c.FID != nil {
		t.Errorf("defaults: out %q, model %+v, fid %v", c.Out, c.Model, c.FID)
	}
	if ic := c.Prompts.ImageNet; ic == nil || *ic != (ImageNetConfig{Template: DefaultTemplate, PerClass: 1, Classes: 1000}) {
		t.Errorf("imagenet defaults %+v", ic)
	}
	if len(c.Variants) != 1 || *c.Variants[0].ToMe != defaultToMe || c.Variants[0].Label != "tome r=0.5" || c.Baseline != "" {
		t.Errorf("variants %+v, baseline %q", c.Variants, c.Baseline)
	}
	c, err = Parse("d.yaml", []byte("name: d\nmodel: {path: m}\nprompts: {file: p.txt}\nsweep: [{method: none}]\n"+
		"generation: {scheduler: plms}\nfid: {reference: ref}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Generation.Scheduler != "pndm" || c.Prompts.Repeat != 1 || c.Baseline != "none" {
		t.Errorf("scheduler %q, repeat %d, baseline %q", c.Generation.Scheduler, c.Prompts.Repeat, c.Baseline)
	}
	if *c.FID != (FIDConfig{Reference: "ref", Dims: 2048, BatchSize: 50, Method: "exact"}) {
		t.Errorf("fid defaults %+v", c.FID)
	}
}

// TestConfigs loads every example config of the repository.
func TestConfigs(t *testing.T) {
	files, err := filepath.Glob("../configs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs: %v", err)
	}
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		p, err := c.Expand("0123")
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if p.Baseline == "" {
			t.Errorf("%s: no baseline", f)
		}
		t.Logf("%s: %d variants, %d prompts, %d warnings", f, len(p.Variants), len(p.Prompts.Prompts), len(c.Warnings))
	}
}

func TestCheckPaths(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := os.Mkdir(model, 0o755); err != nil {
		t.Fatal(err)
	}
	prompts := filepath.Join(dir, "p.txt")
	os.WriteFile(prompts, []byte("a cat\n\n  a dog \n"), 0o644)
	yaml := "name: p\nmodel: {path: " + model + "}\nprompts: {file: " + prompts + ", repeat: 2}\nsweep: [{method: none}]\n" +
		"fid: {reference: baseline, weights: formula:det}\n"
	c, err := Parse("p.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckPaths(); err != nil {
		t.Errorf("CheckPaths: %v", err)
	}
	p, err := c.Expand("id")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Prompts.Prompts, "|"); got != "a cat|a dog|a cat|a dog" {
		t.Errorf("prompts %q", got)
	}

	missing := filepath.Join(dir, "nope")
	yaml = "name: p\nmodel:\n  path: " + missing + "\nprompts: {file: " + missing + ".txt}\nsweep: [{method: none}]\n" +
		"fid:\n  reference: " + missing + ".npz\n  weights: " + missing + ".pth\n"
	c, err = Parse("p.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckPaths()
	for _, want := range []string{
		"p.yaml:3: model.path: diffusers: " + missing + ": no such folder, and not a Hugging Face repo id",
		"p.yaml:4: prompts.file: prompt file: open " + missing + ".txt",
		"p.yaml:7: fid.reference: reference " + missing + ".npz: no such file",
		"p.yaml:8: fid.weights: Inception weights " + missing + ".pth: no such file",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckPaths: %v\nwant it to contain %q", err, want)
		}
	}
}
