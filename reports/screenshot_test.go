package reports

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReportScreenshot renders report.html of testdata/run1 with headless Chromium
// (scripts/report-screenshot.sh) and checks that a non-blank screenshot comes out.
// The PNG is kept under $TOMEBENCH_SCREENSHOT when that is set, to be looked at.
func TestReportScreenshot(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium not installed (apt-get install -y chromium): skipping the screenshot check")
	}
	out := t.TempDir()
	if _, err := Write(readRun(t, run1), out, Options{}); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "report.png")
	if keep := os.Getenv("TOMEBENCH_SCREENSHOT"); keep != "" {
		shot = keep
	}
	cmd := exec.Command("../scripts/report-screenshot.sh", out, shot)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1400 || b.Dy() != 2400 {
		t.Errorf("screenshot is %v, want 1400x2400", b)
	}
	// Not blank: many distinct colours (plots and images, not only text on white).
	colours := map[[4]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 3 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 100 {
		t.Errorf("screenshot has %d colours: blank page?", len(colours))
	}
}
