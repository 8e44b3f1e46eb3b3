package agentsd

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/methods"
)

// Fixture folders: the tiny SD1.5-layout UNet exported by torch.onnx (opset 14) with
// its golden inputs, and AgentSD's outputs (../../../shared/fixtures/README.md,
// section methods/agentsd: Agent-Attention 207ce3e on CompVis LDM with the same
// weights; re-hosted on diffusers every run agrees to 2.5e-6).
const (
	unetDir    = "../../../shared/fixtures/unet/tiny-sd15"
	fixtureDir = "../../../shared/fixtures/methods/agentsd"
)

func loadUNet(t testing.TB) *onnx.Model {
	t.Helper()
	m, err := onnx.Load(filepath.Join(unetDir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runUNet runs m on the golden inputs (sample from sampleFile) plus int64 extras.
func runUNet(t testing.TB, m *onnx.Model, sampleFile string, extra map[string]*npy.Array) []float32 {
	t.Helper()
	return orttest.RunUNetGolden(t, m, filepath.Join(unetDir, "golden"), sampleFile, extra)
}

// TestPatchGoldens patches the tiny UNet for every recorded AgentSD run
// (methods/agentsd/manifest.json runs), replays the recorded partitions, and
// compares ORT's output with the reference's.
func TestPatchGoldens(t *testing.T) {
	orttest.Require(t)
	phase1 := Phases(DefaultOptions())[0]
	phase2 := Phases(DefaultOptions())[1]
	norand := phase1
	norand.UseRand = false
	cases := []struct {
		run    string
		opts   Options
		latent [2]int
		sample string
		agents int     // blocks with agent attention (manifest: agent_path_used_in)
		tol    float64 // max abs vs the reference (LDM vs diffusers/ORT: ~3e-6)
	}{
		{"agentsd_r40_s44_a95", phase1, [2]int{}, "sample.npy", 3, 1e-4},
		{"agentsd_r40_s44_a95_norand", norand, [2]int{}, "sample.npy", 3, 1e-4},
		{"agentsd_r40_s44_a95_nonsq", phase1, [2]int{24, 40}, "sample_nonsq.npy", 3, 1e-4},
		{"agentsd_r40_s22_a50", phase2, [2]int{}, "sample.npy", 0, 1e-4},
		{"agentsd_defaults", DefaultOptions(), [2]int{}, "sample.npy", 0, 1e-4},
	}
	for _, tc := range cases {
		t.Run(tc.run, func(t *testing.T) {
			m := loadUNet(t)
			rep, err := Patch(m, PatchOptions{Options: tc.opts, Latent: tc.latent})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Patched != 3 || rep.Agents != tc.agents {
				t.Fatalf("patched %d blocks, %d with agents; want 3, %d", rep.Patched, rep.Agents, tc.agents)
			}
			extra := map[string]*npy.Array{}
			for k, in := range rep.RandInputs {
				a := testutil.ReadNPY(t, filepath.Join(fixtureDir, fmt.Sprintf("%s_draw%02d.npy", tc.run, k)))
				a.Shape = a.Shape[:2] // drop the trailing axis of 1
				extra[in.Name] = a
			}
			if r, ok, err := methods.ReadRecord(m); !ok || err != nil || r.Method != MethodName {
				t.Errorf("metadata record %+v, %v, %v", r, ok, err)
			}
			out := runUNet(t, m, tc.sample, extra)
			want := testutil.ReadNPY(t, filepath.Join(fixtureDir, "out_"+tc.run+".npy")).Float32s()
			d := testutil.MaxAbsDiff(out, want)
			t.Logf("%s: max abs diff vs reference %.3g (%d blocks, %d with agents)", tc.run, d, rep.Patched, rep.Agents)
			if !(d <= tc.tol) {
				t.Errorf("max abs diff %.3g > %g", d, tc.tol)
			}
		})
	}
}

// TestAgentsRule checks Options.Agents against the manifest's numbers: README phase
// 1 at 32×32 (N 1024, Ns 960): r 409, agent_r 960, 64 agents; phase 2 (Ns 768):
// r 409, agent_r 512, no agents; defaults: none.
func TestAgentsRule(t *testing.T) {
	cases := []struct {
		o         Options
		N, Ns     int
		r, agentR int
		use       bool
	}{
		{Phases(DefaultOptions())[0], 1024, 960, 409, 960, true},
		{Phases(DefaultOptions())[0], 960, 900, 384, 900, true}, // 24×40: agent_r min(912, 900), 60 agents
		{Phases(DefaultOptions())[1], 1024, 768, 409, 512, false},
		{DefaultOptions(), 1024, 768, 512, 768, false},
		{Phases(DefaultOptions())[0], 4096, 3840, 1638, 3840, true},
	}
	for _, c := range cases {
		r, ar, use := c.o.Agents(c.N, c.Ns)
		if r != c.r || ar != c.agentR || use != c.use {
			t.Errorf("Agents(%d, %d) with %+v = %d, %d, %v; want %d, %d, %v", c.N, c.Ns, c.o, r, ar, use, c.r, c.agentR, c.use)
		}
	}
}

// TestRatioZeroUnchanged: ratio 0 (a crash upstream) leaves the model as it was.
func TestRatioZeroUnchanged(t *testing.T) {
	m := loadUNet(t)
	before, _ := m.Marshal()
	o := DefaultOptions()
	o.Ratio = 0
	rep, err := Patch(m, PatchOptions{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := m.Marshal()
	if rep.Patched != 0 || string(before) != string(after) {
		t.Fatalf("ratio 0: %d blocks patched, model changed %v", rep.Patched, string(before) != string(after))
	}
}
