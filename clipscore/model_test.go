package clipscore

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/sd/clip"
)

// openTiny opens the fixture's tiny CLIPModel (fails without ONNX Runtime).
func openTiny(t testing.TB, dir string) *Model {
	t.Helper()
	needFixtures(t)
	needORT(t)
	m, err := Open(dir, Options{Session: threads1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// relDiff is max|a−b| / max|b| over all values.
func relDiff(got [][]float32, want []float32) float64 {
	var d, ref float64
	k := 0
	for _, r := range got {
		for _, v := range r {
			d = max(d, math.Abs(float64(v)-float64(want[k])))
			ref = max(ref, math.Abs(float64(want[k])))
			k++
		}
	}
	if k != len(want) {
		return math.Inf(1)
	}
	return d / ref
}

// TestTokenize: ids against the processor's (input_ids_processor.npy: padded to the
// longest row, 101, not truncated) and torchmetrics' slice to 77 (input_ids.npy), and
// the pooled position argmax(ids) against pooled_index.npy (0 for the long caption).
func TestTokenize(t *testing.T) {
	m := readManifest(t)
	tok, err := clip.Load(tinyCLIP)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file  string
		width int
	}{{"input_ids_processor.npy", 1000}, {"input_ids.npy", 77}} {
		want := readNPY(t, tc.file)
		got := Tokenize(tok, prompts(m), tc.width)
		w := want.Shape[1]
		for i, r := range got.IDs {
			if !slices.Equal(r, want.I64[i*w:(i+1)*w]) {
				t.Errorf("%s row %d: %v\nwant %v", tc.file, i, r, want.I64[i*w:(i+1)*w])
			}
			if got.Truncated[i] != (tc.width == 77 && m.Results.Cases[i].Truncated) {
				t.Errorf("%s row %d: truncated %v", tc.file, i, got.Truncated[i])
			}
		}
	}
	pooled := readNPY(t, "pooled_index.npy")
	for i, r := range Tokenize(tok, prompts(m), 77).IDs {
		at := 0
		for k, id := range r {
			if id > r[at] {
				at = k
			}
		}
		if int64(at) != pooled.I64[i] {
			t.Errorf("row %d pools at %d, want %d", i, at, pooled.I64[i])
		}
	}
}

// TestEmbeddingsAndScores is the acceptance test: image and text embeddings (the
// projections, unnormalised) within 1e-5 relative of transformers' get_*_features,
// every pair's score and the mean within 1e-3 of torchmetrics' (0..100 scale), from
// the image inputs as torchmetrics got them (uint8, float, int64, exact-224, wide) and
// the prompts (one longer than 77 tokens).
func TestEmbeddingsAndScores(t *testing.T) {
	man := readManifest(t)
	m := openTiny(t, tinyCLIP)
	var images []*Image
	for _, c := range man.Results.Cases {
		images = append(images, caseImage(t, c))
	}
	ie, err := m.ImageEmbeddings(images)
	if err != nil {
		t.Fatal(err)
	}
	te, long, err := m.TextEmbeddings(prompts(man))
	if err != nil {
		t.Fatal(err)
	}
	scores := readNPY(t, "scores.npy")
	for _, tc := range []struct {
		name string
		got  [][]float32
		file string
		tol  float64 // relative; ORT vs torch float32 (manifest onnxruntime_check: 3e-7)
	}{
		{"image_embeds", ie, "image_embeds.npy", 1e-5},
		{"text_embeds", te, "text_embeds.npy", 1e-5},
	} {
		d := relDiff(tc.got, readNPY(t, tc.file).F32)
		t.Logf("%s: max relative difference %.3g", tc.name, d)
		if d > tc.tol {
			t.Errorf("%s: relative difference %.3g > %g", tc.name, d, tc.tol)
		}
	}
	r, err := m.Score(images, prompts(man))
	if err != nil {
		t.Fatal(err)
	}
	maxd := 0.0
	for i, c := range man.Results.Cases {
		d := math.Abs(r.Scores[i] - float64(scores.F32[i]))
		maxd = max(maxd, d)
		if d > 1e-3 || math.Abs(r.Scores[i]-c.Score) > 1e-3 {
			t.Errorf("%s: score %.6f, torchmetrics %.6f", c.Name, r.Scores[i], scores.F32[i])
		}
		if long[i] != c.Truncated {
			t.Errorf("%s: long prompt %v, manifest %v", c.Name, long[i], c.Truncated)
		}
	}
	t.Logf("pair scores: max |difference| %.3g; clip score %.7f (torchmetrics %.7f)", maxd, r.Score, man.Results.Summary.ClipScore)
	// torchmetrics clip_score = max(mean, 0) = 6.546816825866699 (manifest results.summary).
	if d := math.Abs(r.Score - man.Results.Summary.ClipScore); d > 1e-3 {
		t.Errorf("clip score %.7f, torchmetrics %.7f", r.Score, man.Results.Summary.ClipScore)
	}
	if !slices.Equal(r.LongPrompts, []int{5}) || len(r.Warnings) != 1 {
		t.Errorf("long prompts %v, warnings %q; want [5] and one warning", r.LongPrompts, r.Warnings)
	}

	// Negative mean → exactly 0 (special_checks.negative_pairs_only: pairs 0 and 5).
	neg := man.SpecialChecks.NegativePairsOnly
	sub := Aggregate([]float64{r.Scores[neg.Indices[0]], r.Scores[neg.Indices[1]]})
	if sub.Score != neg.ClipScore || sub.Mean >= 0 {
		t.Errorf("negative pairs: score %v (mean %v), want exactly %v", sub.Score, sub.Mean, neg.ClipScore)
	}

	// Every caption over 76 BPE tokens gets the same text embedding
	// (special_checks.long_captions_all_pool_at_bos: max_abs_diff 0.0).
	two, _, err := m.TextEmbeddings([]string{man.Results.Cases[5].Prompt, man.SpecialChecks.LongCaptions.SecondPrompt, "x"})
	if err != nil {
		t.Fatal(err)
	}
	for k := range two[0] {
		if math.Abs(float64(two[0][k]-two[1][k])) > 1e-6 {
			t.Fatalf("two long captions differ at %d: %v vs %v", k, two[0][k], two[1][k])
		}
	}
}

// TestPixelValuesPath: the vision tower fed crops_uint8 through normalize_lut (the
// fixture's ONNX input recipe) matches image_embeds.npy too, for all ten images.
func TestPixelValuesPath(t *testing.T) {
	m := openTiny(t, tinyCLIP)
	crops := readNPY(t, "crops_uint8.npy")
	lut := readNPY(t, "normalize_lut.npy")
	const plane = 224 * 224
	pv := make([]float32, 10*3*plane)
	for i := range 10 {
		for p := range plane {
			for c := range 3 {
				pv[(i*3+c)*plane+p] = lut.F32[c*256+int(crops.U8[(i*plane+p)*3+c])]
			}
		}
	}
	got, err := m.PixelEmbeddings(pv, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := relDiff(got, readNPY(t, "image_embeds.npy").F32); d > 1e-5 {
		t.Errorf("relative difference %.3g > 1e-5", d)
	}
}

// TestScoreFiles: the file path of a runner, with an image folder's PNGs.
func TestScoreFiles(t *testing.T) {
	man := readManifest(t)
	m := openTiny(t, tinyCLIP)
	pairs := []Pair{{filepath.Join(sharedFixtures, man.Results.Cases[0].Src), man.Results.Cases[0].Prompt},
		{filepath.Join(sharedFixtures, man.Results.Cases[6].Src), man.Results.Cases[6].Prompt}}
	calls := 0
	r, err := m.ScoreFiles(t.Context(), pairs, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	// Cases 0 and 6 are whole files (no crop box): scores from manifest results.cases.
	for k, i := range []int{0, 6} {
		if d := math.Abs(r.Scores[k] - man.Results.Cases[i].Score); d > 1e-3 {
			t.Errorf("%s: %.6f, want %.6f", man.Results.Cases[i].Name, r.Scores[k], man.Results.Cases[i].Score)
		}
	}
	if calls == 0 {
		t.Error("progress never called")
	}
}
