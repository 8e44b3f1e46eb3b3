package fidelity

import (
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// golden is testdata/golden.json, written by testdata/make_golden.py with
// Debian's python3-skimage (versions in Versions).
type golden struct {
	Versions map[string]string
	Kernel   []float64
	Cases    []goldenCase
}

// A goldenCase is one image pair and skimage's measures of it.
type goldenCase struct {
	Name, A, B    string
	Width, Height int
	PSNR          *float64
	PSNRInf       bool `json:"psnr_inf"`
	SSIM          *float64
	SSIMError     string `json:"ssim_error"`
}

func readGolden(t testing.TB) *golden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func readPNG(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// goldenTol is each golden case's tolerance on |Go - skimage|, for SSIM
// and PSNR. Every expected value is skimage's (see golden.json). The
// Go code repeats scipy's filter arithmetic operation by operation, so
// the remaining differences come from summing the SSIM map (numpy's
// pairwise sum against a compensated one) and from log10 (Go's against
// glibc's); both are a few ulps.
var goldenTol = map[string]struct{ ssim, psnr float64 }{
	"identical":             {0, 0},
	"smooth32_noise5":       {1e-15, 1e-13},
	"smooth48x64_noise20":   {1e-15, 1e-13},
	"smooth80x96_noise2":    {1e-15, 1e-13},
	"uniform40_inverted":    {1e-15, 1e-13},
	"uniform40_independent": {1e-15, 1e-13},
	"flat_vs_flat":          {1e-15, 1e-13},
	"min11x11":              {1e-15, 1e-13},
	"min11x13":              {1e-15, 1e-13},
	"alpha_ignored":         {1e-15, 1e-13},
	"too_small_7x9":         {0, 1e-13},
	"too_small_10x16":       {0, 1e-13},
}

func TestGolden(t *testing.T) {
	g := readGolden(t)
	t.Logf("golden values from skimage %s, scipy %s, numpy %s",
		g.Versions["skimage"], g.Versions["scipy"], g.Versions["numpy"])
	var maxSSIM, maxPSNR float64
	for _, c := range g.Cases {
		tol, ok := goldenTol[c.Name]
		if !ok {
			t.Errorf("golden case %s has no tolerance in goldenTol", c.Name)
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			a, b := readPNG(t, c.A), readPNG(t, c.B)
			if got := a.Bounds().Size(); got != image.Pt(c.Width, c.Height) {
				t.Fatalf("%s is %v, golden says %dx%d", c.A, got, c.Width, c.Height)
			}

			p, err := PSNR(a, b)
			switch {
			case err != nil:
				t.Errorf("PSNR: %v", err)
			case c.PSNRInf:
				if !math.IsInf(p, 1) {
					t.Errorf("PSNR = %v, skimage inf", p)
				}
			default:
				d := math.Abs(p - *c.PSNR)
				maxPSNR = max(maxPSNR, d)
				if d > tol.psnr {
					t.Errorf("PSNR = %.17g, skimage %.17g (diff %.3g > %.3g)", p, *c.PSNR, d, tol.psnr)
				}
			}

			s, err := SSIM(a, b)
			if c.SSIMError != "" {
				var tooSmall *TooSmallError
				if !errors.As(err, &tooSmall) {
					t.Errorf("SSIM = %v, %v; skimage raised %q, want *TooSmallError", s, err, c.SSIMError)
				}
				return
			}
			if err != nil {
				t.Fatalf("SSIM: %v", err)
			}
			d := math.Abs(s - *c.SSIM)
			maxSSIM = max(maxSSIM, d)
			if d > tol.ssim {
				t.Errorf("SSIM = %.17g, skimage %.17g (diff %.3g > %.3g)", s, *c.SSIM, d, tol.ssim)
			}

			r, err := Compare(a, b)
			if err != nil || r.SSIM != s || (r.PSNR != p && !(math.IsInf(p, 1) && math.IsInf(r.PSNR, 1))) {
				t.Errorf("Compare = %+v, %v; want {PSNR:%v SSIM:%v}", r, err, p, s)
			}
		})
	}
	t.Logf("max |Go - skimage|: SSIM %.3g, PSNR %.3g dB", maxSSIM, maxPSNR)
}

// TestKernel checks the Gaussian weights against scipy's, bit for bit, and
// against the formula they come from.
func TestKernel(t *testing.T) {
	g := readGolden(t)
	if len(g.Kernel) != WinSize {
		t.Fatalf("golden kernel has %d taps, want %d", len(g.Kernel), WinSize)
	}
	var sum float64
	phi := make([]float64, WinSize)
	for i := range phi {
		x := float64(i - Radius)
		phi[i] = math.Exp(-0.5 / (1.5 * 1.5) * x * x)
		sum += phi[i]
	}
	for i, want := range g.Kernel {
		k := i - Radius
		if k < 0 {
			k = -k
		}
		if gauss[k] != want {
			t.Errorf("gauss[%d] = %.17g, scipy %.17g", k, gauss[k], want)
		}
		if d := math.Abs(phi[i]/sum - want); d > 1e-16 {
			t.Errorf("formula tap %d = %.17g, scipy %.17g", i-Radius, phi[i]/sum, want)
		}
	}
}

// TestConstants checks C1 and C2 against Python's (0.01*255)**2 and
// (0.03*255)**2.
func TestConstants(t *testing.T) {
	if c1 != 6.502500000000001 || c2 != 58.522499999999994 {
		t.Errorf("C1, C2 = %.17g, %.17g; Python 6.502500000000001, 58.522499999999994", c1, c2)
	}
}
