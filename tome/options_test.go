package tome

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestDefaultOptions(t *testing.T) {
	// The defaults of tomesd.apply_patch (tomesd/patch.py, v0.1.3).
	want := Options{Ratio: 0.5, MaxDownsample: 1, SX: 2, SY: 2, UseRand: true, MergeAttn: true}
	if got := DefaultOptions(); got != want {
		t.Errorf("DefaultOptions() = %+v, want %+v", got, want)
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*Options)
		wantErr string // "" for valid
	}{
		{"ratio 0", func(o *Options) { o.Ratio = 0 }, ""},
		{"ratio 1", func(o *Options) { o.Ratio = 1 }, ""},
		{"stride 1x1", func(o *Options) { o.SX, o.SY = 1, 1 }, ""},
		{"negative ratio", func(o *Options) { o.Ratio = -0.1 }, "ratio"},
		{"ratio above 1", func(o *Options) { o.Ratio = 1.5 }, "ratio"},
		{"NaN ratio", func(o *Options) { o.Ratio = math.NaN() }, "ratio"},
		{"max_downsample 0", func(o *Options) { o.MaxDownsample = 0 }, "max_downsample"},
		{"sx 0", func(o *Options) { o.SX = 0 }, "sx=0"},
		{"sy -1", func(o *Options) { o.SY = -1 }, "sy=-1"},
	} {
		o := DefaultOptions()
		tc.edit(&o)
		err := o.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestUseRandFor(t *testing.T) {
	// tomesd.patch.compute_merge: use_rand = False if x.shape[0] % 2 == 1 else use_rand.
	o := DefaultOptions()
	if !o.UseRandFor(2) || o.UseRandFor(1) || o.UseRandFor(3) {
		t.Error("UseRand on: want random partitions for even batches only")
	}
	o.UseRand = false
	if o.UseRandFor(2) {
		t.Error("UseRand off: want no random partitions")
	}
}

func TestDownsample(t *testing.T) {
	// Expected values: tomesd's ceil(sqrt(H*W // N)) worked by hand.
	for _, tc := range []struct{ H, W, N, want int }{
		{64, 64, 4096, 1}, {64, 64, 1024, 2}, {64, 64, 256, 4}, {64, 64, 64, 8},
		{24, 40, 960, 1}, {24, 40, 240, 2}, {24, 40, 60, 4}, {24, 40, 15, 8},
		{64, 64, 1000, 2}, // 4096 // 1000 = 4 -> 2; without the floor it would be 3
		{64, 64, 2048, 2}, // 4096 // 2048 = 2 -> ceil(1.414) = 2
		{8, 8, 65, 0},     // more tokens than latent pixels
	} {
		if got := Downsample(tc.H, tc.W, tc.N); got != tc.want {
			t.Errorf("Downsample(%d, %d, %d) = %d, want %d", tc.H, tc.W, tc.N, got, tc.want)
		}
	}
}

func TestTokenGridAndNumMerged(t *testing.T) {
	// ceil(H/ds), ceil(W/ds) and int(N*ratio) as Python computes them.
	for _, tc := range []struct{ H, W, ds, h, w int }{
		{64, 64, 1, 64, 64}, {24, 40, 2, 12, 20}, {25, 41, 2, 13, 21}, {96, 64, 8, 12, 8},
	} {
		if h, w := TokenGrid(tc.H, tc.W, tc.ds); h != tc.h || w != tc.w {
			t.Errorf("TokenGrid(%d, %d, %d) = %d, %d, want %d, %d", tc.H, tc.W, tc.ds, h, w, tc.h, tc.w)
		}
	}
	for _, tc := range []struct {
		N     int
		ratio float64
		Ns    int
		want  int
	}{
		{4096, 0.5, 3072, 2048},
		{120, 0.9, 60, 60},  // golden c4: r_requested 108 clamped to num_src 60
		{64, 0.3, 60, 19},   // golden c7: int(19.2)
		{100, 0.29, 75, 28}, // Python: int(100*0.29) == int(28.999999999999996) == 28
		{1024, 0, 768, 0},
	} {
		if got := NumMerged(tc.N, tc.ratio, tc.Ns); got != tc.want {
			t.Errorf("NumMerged(%d, %v, %d) = %d, want %d", tc.N, tc.ratio, tc.Ns, got, tc.want)
		}
	}
}

// TestMergeCallsOfTinyUNet checks Eligible, Downsample, TokenGrid and NumMerged
// against the merge calls tomesd made in the tiny SD1.5 UNet (fixture
// unet/tiny-sd15/golden/manifest.json): its transformer blocks see N = 1024, 256,
// 64, 16 tokens on the 32x32 latent and 960, 240, 60, 15 on the 24x40 one.
func TestMergeCallsOfTinyUNet(t *testing.T) {
	raw, err := os.ReadFile("../../shared/fixtures/unet/tiny-sd15/golden/manifest.json")
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	type call struct{ N, W, H, SX, SY, R int }
	var m struct {
		Tome struct {
			Runs map[string]struct {
				PatchKwargs map[string]any `json:"patch_kwargs"`
				Inputs      string
				Calls       []call `json:"merge_calls_in_order"`
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Tome.Runs) == 0 {
		t.Fatal("manifest has no tome runs")
	}
	for name, run := range m.Tome.Runs {
		o := DefaultOptions()
		if v, ok := run.PatchKwargs["ratio"].(float64); ok {
			o.Ratio = v
		}
		if v, ok := run.PatchKwargs["max_downsample"].(float64); ok {
			o.MaxDownsample = int(v)
		}
		if v, ok := run.PatchKwargs["sx"].(float64); ok {
			o.SX = int(v)
		}
		if v, ok := run.PatchKwargs["sy"].(float64); ok {
			o.SY = int(v)
		}
		H, W, blockNs := 32, 32, []int{1024, 256, 64, 16}
		if run.Inputs == "sample_nonsq" {
			H, W, blockNs = 24, 40, []int{960, 240, 60, 15}
		}
		var got []call
		for _, N := range blockNs {
			if !o.Eligible(H, W, N) {
				continue
			}
			h, w := TokenGrid(H, W, Downsample(H, W, N))
			Ns := h*w - (h/o.SY)*(w/o.SX)
			got = append(got, call{N: N, W: w, H: h, SX: o.SX, SY: o.SY, R: NumMerged(N, o.Ratio, Ns)})
		}
		want := slices.Compact(slices.SortedFunc(slices.Values(run.Calls), func(a, b call) int { return b.N - a.N }))
		if !slices.Equal(got, want) {
			t.Errorf("%s: merge calls %+v, want %+v", name, got, want)
		}
	}
}

func TestOptionsFromKwargs(t *testing.T) {
	got, err := OptionsFromKwargs(map[string]any{"ratio": 0.3, "sx": 4.0, "sy": 1.0, "max_downsample": 2.0, "use_rand": false, "merge_mlp": true})
	want := DefaultOptions()
	want.Ratio, want.SX, want.SY, want.MaxDownsample, want.UseRand, want.MergeMLP = 0.3, 4, 1, 2, false, true
	if err != nil || got != want {
		t.Errorf("OptionsFromKwargs = %+v, %v; want %+v", got, err, want)
	}
	if got, err := OptionsFromKwargs(nil); err != nil || got != DefaultOptions() {
		t.Errorf("no arguments: %+v, %v; want the defaults", got, err)
	}
	for _, kw := range []map[string]any{
		{"ratio": "0.5"},
		{"sx": 2.5},
		{"use_rand": 1.0},
		{"merge_everything": true},
	} {
		if _, err := OptionsFromKwargs(kw); err == nil {
			t.Errorf("%v: no error", kw)
		}
	}
}
