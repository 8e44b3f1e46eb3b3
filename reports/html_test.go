package reports

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestHTMLSelfContained checks that report.html of run1 refers to nothing outside
// itself and holds the 4 plots and the 2 × 3 image grid.
func TestHTMLSelfContained(t *testing.T) {
	files, err := Write(readRun(t, run1), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(files.HTML)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, m := range regexp.MustCompile(`(?i)(src|href)\s*=\s*"([^"]{0,40})`).FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[2], "data:") {
			t.Errorf("%s=%q refers outside the file", m[1], m[2])
		}
	}
	if regexp.MustCompile(`(?i)https?:|url\(`).MatchString(html) {
		t.Error("report.html names a URL")
	}
	if n := strings.Count(html, `src="data:image/svg+xml;base64,`); n != 4 {
		t.Errorf("%d SVG plots, want 4", n)
	}
	if n := strings.Count(html, `src="data:image/png;base64,`); n != 6 {
		t.Errorf("%d images, want 6 (2 prompts × 3 variants)", n)
	}
	for _, s := range []string{"<th>tome r=0.3</th>", "seed 43", "A high quality photograph of a goldfish.", "ONNX Runtime 1.22.0", "FID is far from converged"} {
		if !strings.Contains(html, s) {
			t.Errorf("report.html lacks %q", s)
		}
	}

	// One grid row only with Options.GridImages = 1; none with -1.
	for k, want := range map[int]int{1: 3, -1: 0} {
		files, err := Write(readRun(t, run1), t.TempDir(), Options{GridImages: k})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(files.HTML)
		if n := strings.Count(string(data), `src="data:image/png;base64,`); n != want {
			t.Errorf("GridImages %d: %d images, want %d", k, n, want)
		}
	}
}
