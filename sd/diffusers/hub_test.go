package diffusers

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestHubCache lays out a cache the way huggingface_hub does
// (models--org--name/{refs/main, snapshots/<commit>/}) and resolves repo ids in it.
func TestHubCache(t *testing.T) {
	cache := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	repo := filepath.Join(cache, "models--runwayml--stable-diffusion-v1-5")
	snap := filepath.Join(repo, "snapshots", commit)
	os.MkdirAll(snap, 0o755)
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	os.WriteFile(filepath.Join(repo, "refs", "fp16"), []byte(commit+"\n"), 0o644)

	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_HOME", filepath.Dir(cache))
	if got := HubCacheDir(); got != filepath.Join(filepath.Dir(cache), "hub") {
		t.Errorf("HubCacheDir with HF_HOME = %q", got)
	}
	t.Setenv("HF_HUB_CACHE", cache)
	if got := HubCacheDir(); got != cache {
		t.Errorf("HubCacheDir with HF_HUB_CACHE = %q", got)
	}
	cases := []struct {
		ref  string
		want string
		err  error
	}{
		{"runwayml/stable-diffusion-v1-5", snap, nil},
		{"runwayml/stable-diffusion-v1-5@fp16", snap, nil},
		{"runwayml/stable-diffusion-v1-5@" + commit, snap, nil},
		{"runwayml/stable-diffusion-v1-5@v2", "", ErrNotCached},
		{"runwayml/stable-diffusion-v1-5@" + "f" + commit[1:], "", ErrNotCached},
		{"stabilityai/sdxl", "", ErrNotCached},
		{tinyPipeline, tinyPipeline, nil},
		{"./not/here", "", nil},
		{"a/b/c", "", nil},
	}
	for _, c := range cases {
		got, err := Resolve(c.ref)
		switch {
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("Resolve(%q) = %q, %v; want %q", c.ref, got, err, c.want)
		case c.want == "" && err == nil:
			t.Errorf("Resolve(%q) = %q, want an error", c.ref, got)
		case c.err != nil && !errors.Is(err, c.err):
			t.Errorf("Resolve(%q): %v, want %v", c.ref, err, c.err)
		}
	}
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := HubCacheDir(); got != "/xdg/huggingface/hub" {
		t.Errorf("HubCacheDir with XDG_CACHE_HOME = %q", got)
	}
}
