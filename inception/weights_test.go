package inception

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDownload serves a small file locally: the right hash saves it atomically, a
// wrong hash or a 404 leaves nothing behind.
func TestDownload(t *testing.T) {
	body := []byte("pretend weights")
	sum := sha256.Sum256(body)
	good := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/w.pth" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	cases := []struct {
		name, path, sha, wantErr string
	}{
		{"ok", "/w.pth", good, ""},
		{"wrong hash", "/w.pth", strings.Repeat("0", 64), "sha256"},
		{"not found", "/missing.pth", good, "404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "sub", "w.pth")
			err := Download(context.Background(), srv.URL+c.path, dest, c.sha, nil)
			entries, _ := os.ReadDir(filepath.Dir(dest))
			if c.wantErr == "" {
				got, rerr := os.ReadFile(dest)
				if err != nil || rerr != nil || string(got) != string(body) || len(entries) != 1 {
					t.Fatalf("err %v, read %v, %d files in the folder", err, rerr, len(entries))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
			}
			if len(entries) != 0 {
				t.Errorf("%d files left behind after a failed download", len(entries))
			}
		})
	}
}

// TestEnsureWeightsOffline checks the message when the file is nowhere and the
// download fails: it names the URL, the hash and where to put the file.
func TestEnsureWeightsOffline(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("TOMEBENCH_CACHE", cache)
	t.Setenv("TORCH_HOME", t.TempDir())
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // a refused connection, as offline
	old := weightsURL
	weightsURL = srv.URL + "/w.pth"
	defer func() { weightsURL = old }()
	_, err := EnsureWeights(context.Background(), nil)
	var miss *MissingWeightsError
	if !errors.As(err, &miss) {
		t.Fatalf("error %v (%T), want *MissingWeightsError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{WeightsURL, WeightsSHA256, filepath.Join(cache, WeightsFile), "--weights", "downloading them failed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

// TestFindWeightsTorchHub finds the file where pytorch-fid's download put it.
func TestFindWeightsTorchHub(t *testing.T) {
	t.Setenv("TOMEBENCH_CACHE", t.TempDir())
	home := t.TempDir()
	t.Setenv("TORCH_HOME", home)
	p := filepath.Join(home, "hub", "checkpoints", WeightsFile)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindWeights()
	if err != nil || got != p {
		t.Fatalf("FindWeights = %q, %v; want %q", got, err, p)
	}
}
