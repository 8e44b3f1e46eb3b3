package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
)

const methodFixtures = fixtures + "/methods"

// TestPatchMethodsThenExec patches the tiny UNet with ToDo and AgentSD from the
// command line, runs it with `tomebench exec` against the references' outputs
// (methods/todo and methods/agentsd fixtures, within 1e-4), and checks that inspect
// prints the method and settings recorded in the patched model's metadata.
func TestPatchMethodsThenExec(t *testing.T) {
	orttest.Require(t)
	golden := tinyUNet + "/golden/"
	cases := []struct {
		name   string
		flags  []string
		expect string
		report string // in patch's output
		record string // in inspect's output of the patched model
	}{
		{"todo_f2_d2", []string{"--method", "todo", "--factor", "2", "--factor2", "2", "--max-downsample", "2"},
			methodFixtures + "/todo/out_todo_f2_d2_nearestexact.npy",
			"6 of 10 transformer blocks downsample keys/values", `model: patched with todo {"factor":2,"factor2":2,"max_downsample":2,"interp":"nearest-exact"} (latent 32x32, 6 blocks)`},
		{"agentsd_norand", []string{"--method", "agentsd", "--ratio", "0.4", "--sx", "4", "--sy", "4", "--agent-ratio", "0.95", "--no-rand"},
			methodFixtures + "/agentsd/out_agentsd_r40_s44_a95_norand.npy",
			"3 of 10 transformer blocks merged, 3 with agent attention", `model: patched with agentsd {"ratio":0.4,"max_downsample":1,"sx":4,"sy":4,"agent_ratio":0.95,"k_scale2":0.3,"k_shortcut":0.075,"use_rand":false}`},
		{"tome_norand", []string{"--ratio", "0.5", "--no-rand"},
			golden + "out_tome_r50_norand.npy",
			"3 of 10 transformer blocks patched", `model: patched with tome {"ratio":0.5,"max_downsample":1,"sx":2,"sy":2,"use_rand":false,"merge_attn":true,"merge_crossattn":false,"merge_mlp":false}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "unet.onnx")
			code, stdout, stderr := tomebench(append([]string{"patch", tinyUNet + "/onnx/model.onnx", "--out", out}, tc.flags...)...)
			if code != 0 {
				t.Fatalf("patch: exit %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.report) {
				t.Errorf("patch report lacks %q:\n%s", tc.report, stdout)
			}
			code, stdout, stderr = tomebench("exec", out,
				"--input", "sample="+golden+"sample.npy",
				"--input", "timestep="+golden+"timestep.npy",
				"--input", "encoder_hidden_states="+golden+"encoder_hidden_states.npy",
				"--expect", "out_sample="+tc.expect, "--atol", "1e-4")
			t.Logf("exec: %s", strings.TrimSpace(stdout))
			if code != 0 {
				t.Fatalf("exec: exit %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr = tomebench("inspect", out)
			if code != 0 || !strings.Contains(stdout, tc.record) {
				t.Errorf("inspect of the patched model: exit %d, want %q in\n%s%s", code, tc.record, stdout, stderr)
			}
		})
	}
}

// TestPatchMethodFlagErrors: flags of another method, unknown methods and bad
// settings are usage errors (exit 2).
func TestPatchMethodFlagErrors(t *testing.T) {
	model := tinyUNet + "/onnx/model.onnx"
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"inspect", model, "--method", "todo", "--ratio", "0.3"}, "--ratio is a flag of --method tome/agentsd, not of --method todo"},
		{[]string{"inspect", model, "--factor", "3"}, "--factor is a flag of --method todo, not of --method tome"},
		{[]string{"inspect", model, "--method", "agentsd", "--merge-mlp"}, "--merge-mlp is a flag of --method tome"},
		{[]string{"inspect", model, "--method", "deepcache"}, `--method "deepcache"`},
		{[]string{"inspect", model, "--method", "todo", "--interp", "bilinear"}, "interp \"bilinear\""},
		{[]string{"inspect", model, "--method", "agentsd", "--agent-ratio", "2"}, "agent_ratio 2 is outside [0, 1]"},
	}
	for _, c := range cases {
		code, _, stderr := tomebench(c.args...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.msg)
		}
	}
}

// TestInspectMethods: inspect with --method todo / agentsd lists what they would do.
func TestInspectMethods(t *testing.T) {
	model := tinyUNet + "/onnx/model.onnx"
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"inspect", model, "--method", "todo", "--factor", "3"}, []string{"3 of 10 transformer blocks", "down_blocks.0.attentions.0.transformer_blocks.0  1024  32x32  1   3  10x10    100"}},
		{[]string{"inspect", model, "--method", "agentsd", "--ratio", "0.4", "--sx", "4", "--sy", "4", "--agent-ratio", "0.95"}, []string{"3 with agent attention", "409  64", "input tome_rand_idx_2: int64 [8, 8]"}},
	} {
		code, stdout, stderr := tomebench(c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, stdout)
			}
		}
	}
}
