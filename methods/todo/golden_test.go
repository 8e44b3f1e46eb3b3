package todo

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/methods"
)

// Fixture folders: the tiny SD1.5-layout UNet exported by torch.onnx (opset 14) with
// its golden inputs, and ToDo's outputs on it (../../../shared/fixtures/README.md,
// sections unet/tiny-sd15 and methods/todo: ImprovedTokenMerge 81928e4 on diffusers
// v0.19.3, levels keyed on depth as the ports do, t = 981).
const (
	unetDir    = "../../../shared/fixtures/unet/tiny-sd15"
	fixtureDir = "../../../shared/fixtures/methods/todo"
)

// runUNet runs m on the golden inputs with sample replaced by sampleFile.
func runUNet(t testing.TB, m *onnx.Model, sampleFile string) []float32 {
	t.Helper()
	return orttest.RunUNetGolden(t, m, filepath.Join(unetDir, "golden"), sampleFile, nil)
}

func loadUNet(t testing.TB) *onnx.Model {
	t.Helper()
	m, err := onnx.Load(filepath.Join(unetDir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPatchGoldens patches the tiny UNet for every recorded ToDo run
// (methods/todo/manifest.json runs) and compares ORT's output with torch's.
func TestPatchGoldens(t *testing.T) {
	orttest.Require(t)
	cases := []struct {
		run     string
		opts    Options
		latent  [2]int
		sample  string
		patched []string // blocks downsampled, as the manifest's attn1_calls_in_order says
		tol     float64  // max abs vs torch (ORT reproduces the unpatched UNet to 2.5e-6)
	}{
		{"todo_f2_d1_nearestexact", Options{Factor: 2, MaxDownsample: 1, Interp: NearestExact}, [2]int{}, "sample.npy", top, 1e-4},
		{"todo_f3_d1_nearestexact", Options{Factor: 3, MaxDownsample: 1, Interp: NearestExact}, [2]int{}, "sample.npy", top, 1e-4},
		{"todo_f2_d2_nearestexact", Options{Factor: 2, Factor2: 2, MaxDownsample: 2, Interp: NearestExact}, [2]int{}, "sample.npy", append(slices.Clone(top), "down_blocks.1.attentions.0.transformer_blocks.0", "up_blocks.2.attentions.0.transformer_blocks.0", "up_blocks.2.attentions.1.transformer_blocks.0"), 1e-4},
		{"todo_f2_d1_nearestexact_nonsq", Options{Factor: 2, MaxDownsample: 1, Interp: NearestExact}, [2]int{24, 40}, "sample_nonsq.npy", top, 1e-4},
		{"todo_f2_d1_nearest", Options{Factor: 2, MaxDownsample: 1, Interp: Nearest}, [2]int{}, "sample.npy", top, 1e-4},
	}
	for _, tc := range cases {
		t.Run(tc.run, func(t *testing.T) {
			m := loadUNet(t)
			rep, err := Patch(m, PatchOptions{Options: tc.opts, Latent: tc.latent})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range rep.Blocks {
				if b.Patched {
					got = append(got, b.Name)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.patched))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("patched blocks\n got %v\nwant %v", got, want)
			}
			if r, ok, err := methods.ReadRecord(m); !ok || err != nil || r.Method != MethodName || r.Patched != len(want) {
				t.Errorf("metadata record %+v, %v, %v", r, ok, err)
			}
			out := runUNet(t, m, tc.sample)
			wantOut := testutil.ReadNPY(t, filepath.Join(fixtureDir, "out_"+tc.run+".npy")).Float32s()
			d := testutil.MaxAbsDiff(out, wantOut)
			t.Logf("%s: max abs diff vs torch %.3g (%d blocks)", tc.run, d, rep.Patched)
			if !(d <= tc.tol) {
				t.Errorf("max abs diff %.3g > %g", d, tc.tol)
			}
		})
	}
}

// top are the tiny UNet's full-resolution blocks (depth 1).
var top = []string{
	"down_blocks.0.attentions.0.transformer_blocks.0",
	"up_blocks.3.attentions.0.transformer_blocks.0",
	"up_blocks.3.attentions.1.transformer_blocks.0",
}

// TestKeptTokensIndexMaps compares KeptTokens with every index map the reference
// recorded (index_map_<mode>_<cur>_to_<new>.npy: the source token of each kept token,
// from F.interpolate on a token-id grid).
func TestKeptTokensIndexMaps(t *testing.T) {
	cases := []struct {
		mode                   string
		curH, curW, newH, newW int
	}{
		{NearestExact, 32, 32, 16, 16},
		{NearestExact, 32, 32, 10, 10},
		{NearestExact, 16, 16, 8, 8},
		{NearestExact, 24, 40, 12, 20},
		{Nearest, 32, 32, 16, 16},
	}
	for _, c := range cases {
		name := fmt.Sprintf("index_map_%s_%dx%d_to_%dx%d.npy", c.mode, c.curH, c.curW, c.newH, c.newW)
		t.Run(name, func(t *testing.T) {
			want := testutil.ReadNPY(t, filepath.Join(fixtureDir, name)).Int64s()
			got := int64s(KeptTokens(c.curH, c.curW, c.newH, c.newW, c.mode))
			if !slices.Equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
	// Property: at f = 3 on 32 the kept rows are uneven (README: 1,4,8,11,14,17,20,24,27,30).
	if got := SourceIndex(32, 10, NearestExact); fmt.Sprint(got) != "[1 4 8 11 14 17 20 24 27 30]" {
		t.Errorf("SourceIndex(32, 10) = %v", got)
	}
}

// TestDownsampleReference checks the plain-tensor reference against the recorded K/V
// source of each downsampled attn1 call of the f2_d1 run.
func TestDownsampleReference(t *testing.T) {
	kept := KeptTokens(32, 32, 16, 16, NearestExact)
	for _, call := range []string{"call00", "call08", "call09"} {
		in := testutil.ReadNPY(t, filepath.Join(fixtureDir, "todo_f2_d1_nearestexact_"+call+"_attn1_in.npy"))
		want := testutil.ReadNPY(t, filepath.Join(fixtureDir, "todo_f2_d1_nearestexact_"+call+"_kv_source.npy"))
		got := Downsample(in.Float32s(), in.Shape[0], in.Shape[1], in.Shape[2], kept)
		if d := testutil.MaxAbsDiff(got, want.Float32s()); d != 0 {
			t.Errorf("%s: max abs diff %g, want 0 (a selection)", call, d)
		}
	}
}

// TestOddLatentDepth2 plans a 33×33 latent with depth 2 on: the depth-2 grid is
// ceil(33/2) = 17 (the A1111 port's ceil; upstream's floor crashes there), new = 8.
func TestOddLatentDepth2(t *testing.T) {
	m := loadUNet(t)
	rep, err := Inspect(m, PatchOptions{Options: Options{Factor: 2, MaxDownsample: 2, Interp: NearestExact}, Latent: [2]int{33, 33}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rep.Blocks {
		if b.Name == "down_blocks.1.attentions.0.transformer_blocks.0" {
			if !b.Patched || b.H != 17 || b.NewH != 8 || b.N != 289 {
				t.Errorf("depth-2 block: %+v; want N 289, grid 17, new 8", b)
			}
			return
		}
	}
	t.Fatal("depth-2 block not found")
}

// TestTimestepSwitch: with the switch at 0.2, t = 981 still downsamples (the golden
// holds); a model fed t = 100 gives the unpatched output.
func TestTimestepSwitch(t *testing.T) {
	orttest.Require(t)
	m := loadUNet(t)
	if _, err := Patch(m, PatchOptions{Options: Options{Factor: 2, MaxDownsample: 1, Interp: NearestExact, TimestepSwitch: 0.2}}); err != nil {
		t.Fatal(err)
	}
	out := runUNet(t, m, "sample.npy")
	want := testutil.ReadNPY(t, filepath.Join(fixtureDir, "out_todo_f2_d1_nearestexact.npy")).Float32s()
	if d := testutil.MaxAbsDiff(out, want); !(d <= 1e-4) {
		t.Errorf("t = 981 above the switch: max abs diff %.3g vs the ToDo golden", d)
	}
	// Below the switch: compare with the unpatched model at t = 100.
	low := func(m *onnx.Model) []float32 {
		s := orttest.NewSession(t, m, ort.SessionOptions{})
		defer s.Close()
		feeds := map[string]*ort.Tensor{"timestep": ort.NewFloat32([]int64{2}, []float32{100, 100})}
		for name, file := range map[string]string{"sample": "sample.npy", "encoder_hidden_states": "encoder_hidden_states.npy"} {
			a := testutil.ReadNPY(t, filepath.Join(unetDir, "golden", file))
			feeds[name] = ort.NewFloat32(testutil.Shape64(a.Shape), a.Float32s())
		}
		o, err := s.Run(feeds, []string{"out_sample"})
		if err != nil {
			t.Fatal(err)
		}
		return o["out_sample"].Float32s()
	}
	if d := testutil.MaxAbsDiff(low(m), low(loadUNet(t))); d > 1e-6 {
		t.Errorf("t = 100 below the switch: max abs diff %.3g vs unpatched, want ~0", d)
	}
}
