package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestPatchUserModels covers issue 12's "patching what users hand you": --out into a
// folder that does not exist, a model patched already, and a graph with ORT-fused ops.
func TestPatchUserModels(t *testing.T) {
	orttest.Require(t)
	dir := t.TempDir()
	unet := filepath.Join(dir, "unet") // external weights.pb beside model.onnx
	if code, stdout, stderr := tomebench("convert", fixtures+"/unet/tiny-sd15/diffusers/unet", "--out", unet, "--size", "64"); code != 0 {
		t.Fatalf("convert: exit %d\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "new", "deeper", "unet_tome.onnx")
	code, stdout, stderr := tomebench("patch", filepath.Join(unet, "model.onnx"), "--out", out)
	if code != 0 {
		t.Fatalf("patch into a new folder: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	folderOut := filepath.Join(dir, "asfolder") + "/"
	if code, stdout, stderr = tomebench("patch", filepath.Join(unet, "model.onnx"), "--out", folderOut); code != 0 {
		t.Fatalf("patch --out DIR/: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(folderOut, "model.onnx")); err != nil {
		t.Error(err)
	}
	code, stdout, _ = tomebench("inspect", out)
	if code != 0 || !strings.Contains(stdout, `patched with tome {"ratio":0.5`) {
		t.Errorf("inspect of a patched model: exit %d\n%s", code, stdout)
	}
	code, _, stderr = tomebench("patch", out, "--out", filepath.Join(dir, "twice.onnx"))
	if code != 1 || !strings.Contains(stderr, "is already patched") || !strings.Contains(stderr, "Patch the original, unpatched UNet") {
		t.Errorf("patching a patched model: exit %d\n%s", code, stderr)
	}
	fused := filepath.Join(dir, "fused")
	if code, stdout, stderr = tomebench("convert", fixtures+"/unet/tiny-sd15/diffusers/unet", "--out", fused, "--attention", "fused", "--size", "64"); code != 0 {
		t.Fatalf("convert fused: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = tomebench("patch", filepath.Join(fused, "model.onnx"), "--out", filepath.Join(dir, "f.onnx"))
	if code != 1 || !strings.Contains(stderr, "fused by ONNX Runtime's optimiser (contrib ops MultiHeadAttention)") {
		t.Errorf("patching a fused model: exit %d\n%s", code, stderr)
	}
}
