package inception

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// featuresSubset is how many images per set the default test runs; the full sets
// (110 + 106 + 110 images, about 110 s on 2 cores) run with TOMEBENCH_FID_FULL=1.
const featuresSubset = 8

// exactFID are the exact FIDs between the fixture sets from pytorch-fid's features
// (shared/fixtures/fid/README, inception_det: nuclear-norm samples route).
var exactFID = map[string]float64{
	"AB": 161.85033241452038,
	"AC": 3.9210038369146787,
	"BC": 166.0602592290761,
}

// TestSetFeatures extracts the 2048-d features of the fixture image sets with the
// formula weights and compares each row with pytorch-fid's get_activations output
// (inception_det/features_set{A,B,C}.npy, batch 50), then the FIDs between the sets
// computed from our features with those computed from pytorch-fid's (same images),
// and with TOMEBENCH_FID_FULL=1 also with the README's exact values.
func TestSetFeatures(t *testing.T) {
	orttest.Require(t)
	full := os.Getenv("TOMEBENCH_FID_FULL") == "1"
	if !full {
		t.Logf("checking the first %d images per set; TOMEBENCH_FID_FULL=1 checks all", featuresSubset)
	}
	e, err := NewExtractor(formula(), Config{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ours, theirs := map[string]*mat.Dense{}, map[string]*mat.Dense{}
	for _, set := range []string{"A", "B", "C"} {
		files, err := ListImages(filepath.Join(fixtures, "images", "set"+set))
		if err != nil {
			t.Fatal(err)
		}
		want := testutil.ReadNPY(t, filepath.Join(fixtures, "inception_det", "features_set"+set+".npy"))
		if len(files) != want.Shape[0] {
			t.Fatalf("set%s: %d files, features for %d", set, len(files), want.Shape[0])
		}
		if !full {
			files = files[:featuresSubset]
		}
		n := len(files)
		wf := want.Float64s()[:n*2048]
		got := make([]float64, n*2048)
		start := time.Now()
		worst := 0.0
		err = e.Files(context.Background(), files, func(i int, f []float32) error {
			r := relErr(f, wf[i*2048:(i+1)*2048])
			worst = max(worst, r)
			if r > 1e-4 {
				return fmt.Errorf("%s: relative error %.3g > 1e-4", files[i], r)
			}
			for j, v := range f {
				got[i*2048+j] = float64(v)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("set%s: %d images in %.1f s, worst relative error %.3g", set, n, time.Since(start).Seconds(), worst)
		ours[set], theirs[set] = mat.NewDense(n, 2048, got), mat.NewDense(n, 2048, wf)
	}
	for _, pair := range []string{"AB", "AC", "BC"} {
		a, b := pair[:1], pair[1:]
		got, err := fid.FrechetFeatures(ours[a], ours[b])
		if err != nil {
			t.Fatal(err)
		}
		ref, err := fid.FrechetFeatures(theirs[a], theirs[b])
		if err != nil {
			t.Fatal(err)
		}
		want, source := ref.FID, "pytorch-fid's features"
		if full {
			want, source = exactFID[pair], "README exact value"
		}
		r := math.Abs(got.FID-want) / want
		t.Logf("FID %s: %.10g, %s %.10g, relative difference %.3g", pair, got.FID, source, want, r)
		if r > 1e-4 {
			t.Errorf("FID %s = %.10g, want %.10g (%s) within 1e-4 relative", pair, got.FID, want, source)
		}
	}
}
