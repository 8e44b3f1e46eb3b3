package clipscore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// Fixtures: shared/fixtures/clipscore (see its README section): torchmetrics
// v1.4.0.post0 on transformers v4.26.1 with a tiny random-weight CLIPModel.
const (
	sharedFixtures = "../../shared/fixtures"
	fixtures       = sharedFixtures + "/clipscore"
	tinyCLIP       = fixtures + "/tiny_clip"
)

// needFixtures skips, saying why, when the shared fixtures are not checked out.
func needFixtures(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fixtures, "manifest.json")); err != nil {
		t.Skipf("clipscore fixtures not found at %s (see /work/shared/fixtures/README.md): %v", fixtures, err)
	}
}

// needORT fails (never skips) when ONNX Runtime cannot be loaded: the numbers this
// package promises are only checked with it.
func needORT(t testing.TB) {
	t.Helper()
	orttest.Require(t)
}

// fixtureCase is one entry of manifest.json → results.cases.
type fixtureCase struct {
	Name      string `json:"name"`
	Src       string `json:"src"`
	CropBox   []int  `json:"crop_box_ltrb"`
	PassAs    string `json:"pass_as"`
	SHA       string `json:"uint8_hwc_sha256"`
	Prompt    string `json:"prompt"`
	Pooled    int    `json:"pooled_index"`
	Truncated bool   `json:"truncated_by_torchmetrics_slice"`
	ResizedHW [2]int `json:"resized_hw"`
	Score     float64
}

type manifest struct {
	Results struct {
		Cases   []fixtureCase `json:"cases"`
		Summary struct {
			ClipScore float64 `json:"clip_score_functional"`
		} `json:"summary"`
	} `json:"results"`
	SpecialChecks struct {
		NegativePairsOnly struct {
			Indices   []int   `json:"indices"`
			ClipScore float64 `json:"clip_score_functional"`
		} `json:"negative_pairs_only"`
		LongCaptions struct {
			SecondPrompt string `json:"second_prompt"`
		} `json:"long_captions_all_pool_at_bos"`
	} `json:"special_checks"`
}

func readManifest(t testing.TB) *manifest {
	t.Helper()
	needFixtures(t)
	b, err := os.ReadFile(filepath.Join(fixtures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Results.Cases) != 10 {
		t.Fatalf("manifest has %d cases, want 10", len(m.Results.Cases))
	}
	return &m
}

func prompts(m *manifest) []string {
	p := make([]string, len(m.Results.Cases))
	for i, c := range m.Results.Cases {
		p[i] = c.Prompt
	}
	return p
}

// caseImage makes case c's input as torchmetrics got it, converted the way this
// package converts that type (uint8 crop of a PNG, float32 [0,1], int64), and checks
// its uint8 HWC bytes against the manifest's sha256.
func caseImage(t testing.TB, c fixtureCase) *Image {
	t.Helper()
	var im *Image
	switch c.PassAs {
	case "uint8":
		if filepath.Ext(c.Src) == ".npy" { // sdxl/run/image_uint8.npy [N, H, W, 3]
			a := testutil.ReadNPY(t, filepath.Join(sharedFixtures, c.Src))
			h, w := a.Shape[1], a.Shape[2]
			im = &Image{W: w, H: h, Pix: append([]uint8(nil), a.U8[:h*w*3]...)}
			break
		}
		full, err := LoadImage(filepath.Join(sharedFixtures, c.Src))
		if err != nil {
			t.Fatal(err)
		}
		im = full
		if c.CropBox != nil {
			l, tp, r, b := c.CropBox[0], c.CropBox[1], c.CropBox[2], c.CropBox[3]
			im = &Image{W: r - l, H: b - tp}
			for y := tp; y < b; y++ {
				im.Pix = append(im.Pix, full.Pix[(y*full.W+l)*3:(y*full.W+r)*3]...)
			}
		}
	case "float32_01": // pipeline/tiny_pipeline/run/image.npy [N, H, W, 3] float32, passed as CHW
		a := testutil.ReadNPY(t, filepath.Join(sharedFixtures, c.Src))
		h, w := a.Shape[1], a.Shape[2]
		chw := make([]float32, 3*h*w)
		for i := range h * w {
			for ch := range 3 {
				chw[ch*h*w+i] = a.F32[i*3+ch]
			}
		}
		im = FromFloat32CHW(h, w, chw)
	case "int64": // inputs/gen_randint_224_int64_chw.npy: the int64 values stored as uint8
		a := testutil.ReadNPY(t, filepath.Join(fixtures, "inputs", "gen_randint_224_int64_chw.npy"))
		v := make([]int64, len(a.U8))
		for i, u := range a.U8 {
			v[i] = int64(u)
		}
		im = FromInt64CHW(a.Shape[1], a.Shape[2], v)
	default:
		t.Fatalf("case %s: unknown pass_as %q", c.Name, c.PassAs)
	}
	sum := sha256.Sum256(im.Pix)
	if got := hex.EncodeToString(sum[:]); got != c.SHA {
		t.Fatalf("case %s: input uint8 HWC sha256 %s, manifest %s", c.Name, got, c.SHA)
	}
	return im
}

func readNPY(t testing.TB, name string) *npy.Array {
	t.Helper()
	return testutil.ReadNPY(t, filepath.Join(fixtures, name))
}

// threads1 keeps ONNX Runtime on one thread: the machine is shared.
var threads1 = ort.SessionOptions{Threads: 1}
