package bench

import (
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/measure"
)

// TestMarkdown renders a hand-made Result and checks the table: one row per ratio,
// the speed-up and ToMe share columns, and the memory-limit columns only with a limit.
func TestMarkdown(t *testing.T) {
	share, merged := 0.031, 0.3
	ceiling := 1 / (1 - merged)
	r := &Result{
		Settings:     Settings{Arch: "sd15", Size: 512, Latent: 64, Batch: 2, ImagesPerCall: 1, Precision: "fp32", Attention: "plain", Provider: "cpu", Repeat: 3, SessionOptions: "arena=on mem_pattern=off"},
		Environment:  Environment{CPU: "test cpu", Cores: 2, ORTVersion: "1.29.0", LoadBefore: []float64{1}, LoadAfter: []float64{2}},
		WeightsBytes: 3.44e9,
		Rows: []Row{
			{Ratio: 0, Seconds: measure.Summarize([]float64{10, 11, 12}), Speedup: measure.Summarize([]float64{1, 1, 1}), OpenedRSSBytes: 3.52e9, PeakRSSBytes: 8.2e9, ActivationBytesPerImage: 4.76e9},
			{Ratio: 0.5, PatchedBlocks: 2, Blocks: 16, Seconds: measure.Summarize([]float64{7, 8, 9}), Speedup: measure.Summarize([]float64{1.4, 1.375, 1.33}), ToMeShare: &share, LayerShare: &merged, Ceiling: &ceiling, OpenedRSSBytes: 3.53e9, PeakRSSBytes: 5.6e9, ActivationBytesPerImage: 2.16e9},
		},
	}
	var b strings.Builder
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| 0 | — | 11.000 | 10.000–12.000 | 1.00× (1.00–1.00) | — | — | 3.52 | 8.20 | 4.760 |",
		"| 50 | 2/16 | 8.000 | 7.000–9.000 | 1.38× (1.33–1.40) | 1.43× (30%) | 3.1 | 3.53 | 5.60 | 2.160 |",
		"load 1.0 → 2.0",
		"session arena=on mem_pattern=off",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "limit") {
		t.Errorf("limit columns without a limit:\n%s", out)
	}
	r.Settings.MemoryLimit = 24e9
	r.Rows[0].LimitMaxImages, r.Rows[0].LimitBytesPerImage = 4, 6e9
	b.Reset()
	Markdown(&b, r)
	if !strings.Contains(b.String(), "| 4 | 6.000 |") || !strings.Contains(b.String(), "| 0 | — |\n") {
		t.Errorf("limit columns wrong:\n%s", b.String())
	}
}

func TestIsToMeNode(t *testing.T) {
	for name, want := range map[string]bool{
		"/down_blocks.0/attentions.0/transformer_blocks.0/tome/MatMul":  true,
		"/down_blocks.0/attentions.0/transformer_blocks.0/attn1/MatMul": false,
		"Reshape_token_20": false,
		"/up_blocks.3/attentions.2/transformer_blocks.0/tome/merge/GatherND": true,
	} {
		if got := IsToMeNode(name); got != want {
			t.Errorf("IsToMeNode(%q) = %v", name, got)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Defaults()
	ok.Arch = "tiny"
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults with --arch tiny: %v", err)
	}
	bad := map[string]func(*Options){
		"no model":       func(o *Options) { o.Arch = "" },
		"both":           func(o *Options) { o.Model = "x" },
		"ratio 1":        func(o *Options) { o.Ratios = []float64{1} },
		"batch 0":        func(o *Options) { o.Batch = 0 },
		"size 100":       func(o *Options) { o.Size = 100 },
		"precision":      func(o *Options) { o.Precision = "bf16" },
		"attention":      func(o *Options) { o.Attention = "flash" },
		"unknown arch":   func(o *Options) { o.Arch = "sd3" }, // sdxl is known since issue 13
		"negative limit": func(o *Options) { o.MemoryLimit = -1 },
	}
	for name, f := range bad {
		o := ok
		f(&o)
		if o.Validate() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if got := (Options{Ratios: []float64{0.5, 0, 0.5, 0.3}}).ratios(); len(got) != 3 || got[0] != 0 || got[1] != 0.5 || got[2] != 0.3 {
		t.Errorf("ratios() = %v, want [0 0.5 0.3]", got)
	}
}

// TestMarkdownMethods checks the method column that ToDo and AgentSD rows bring.
func TestMarkdownMethods(t *testing.T) {
	share := 0.002
	one := measure.Summarize([]float64{1})
	r := &Result{
		Settings: Settings{Arch: "tiny", Size: 64, Latent: 8, Batch: 2, ImagesPerCall: 1, Precision: "fp32", Attention: "plain", Provider: "cpu", Repeat: 1},
		Rows: []Row{
			{Method: MethodNone, Label: "none", Seconds: one, Speedup: one},
			{Method: MethodToMe, Label: "tome r=0.5", Ratio: 0.5, PatchedBlocks: 3, Blocks: 10, Seconds: one, Speedup: one},
			{Method: MethodToDo, Label: "todo f=2", PatchedBlocks: 3, Blocks: 10, Seconds: one, Speedup: one, ToMeShare: &share},
		},
	}
	var b strings.Builder
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| method | r% | blocks patched |",
		"| none | 0 | — | 1.000 |",
		"| tome r=0.5 | 50 | 3/10 | 1.000 |",
		"| todo f=2 | — | 3/10 | 1.000 | 1.000–1.000 | 1.00× (1.00–1.00) | — | 0.2 |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, b.String())
		}
	}
}

func TestLayerScope(t *testing.T) {
	for _, c := range []struct{ node, want string }{
		{"/up_blocks.3/attentions.0/transformer_blocks.0/attn1/MatMul", "/up_blocks.3/attentions.0/transformer_blocks.0/attn1"},
		{"/down_blocks.0/attentions.1/transformer_blocks.0/tome/Gather_3", "/down_blocks.0/attentions.1/transformer_blocks.0/tome"},
		{"/down_blocks.0/attentions.1/transformer_blocks.0/attn1/to_q/MatMul", "/down_blocks.0/attentions.1/transformer_blocks.0/attn1"},
		{"/down_blocks.0/attentions.1/transformer_blocks.0/Add", ""},
		{"/down_blocks.0/resnets.0/conv1/Conv", ""},
		{"Reorder_token_12", ""},
	} {
		got, ok := layerScope(c.node)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("layerScope(%s) = %q, %t; want %q", c.node, got, ok, c.want)
		}
	}
}

func TestIsMethodNode(t *testing.T) {
	for _, c := range []struct {
		method, name string
		want         bool
	}{
		{MethodToMe, "/down_blocks.0/attentions.0/transformer_blocks.0/tome/Gather", true},
		{MethodToDo, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/todo/Gather", true},
		{MethodToDo, "/down_blocks.0/attentions.0/transformer_blocks.0/tome/Gather", false},
		{MethodAgentSD, "/down_blocks.0/attentions.0/transformer_blocks.0/tome/agent/Gather", true},
		{MethodAgentSD, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/agent/Softmax", true},
		{MethodAgentSD, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul", false},
		{MethodNone, "/x/tome/Gather", false},
	} {
		if got := IsMethodNode(c.method, c.name); got != c.want {
			t.Errorf("IsMethodNode(%s, %s) = %t", c.method, c.name, got)
		}
	}
}
