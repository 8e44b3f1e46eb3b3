package ort

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibraryPath checks the lookup order: $ONNXRUNTIME_LIB, then the cache
// under $XDG_CACHE_HOME, then an error that names the install command.
func TestLibraryPath(t *testing.T) {
	cache := t.TempDir()
	cached := filepath.Join(cache, "tomebench", "onnxruntime-"+ORTVersion, LibraryName)
	elsewhere := filepath.Join(t.TempDir(), LibraryName)
	if err := os.WriteFile(elsewhere, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		env         string
		fillCache   bool
		want        string
		wantErrText []string // all must appear in the error
	}{
		{"env wins over cache", elsewhere, true, elsewhere, nil},
		{"cache", "", true, cached, nil},
		{"env names a missing file", filepath.Join(cache, "nope.so"), true, "", []string{EnvLibrary, "nope.so"}},
		{"env names a folder", cache, false, "", []string{"is a folder"}},
		{"nothing installed", "", false, "", []string{InstallCommand, InstallScript, cached}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", cache)
			t.Setenv(EnvLibrary, c.env)
			os.RemoveAll(filepath.Join(cache, "tomebench"))
			if c.fillCache {
				if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cached, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LibraryPath()
			if c.wantErrText == nil {
				if err != nil || got != c.want {
					t.Fatalf("LibraryPath() = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrLibraryMissing) {
				t.Fatalf("LibraryPath() = %q, %v; want an ErrLibraryMissing error", got, err)
			}
			for _, s := range c.wantErrText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

// TestCacheDirDefault checks the ~/.cache fallback when XDG_CACHE_HOME is
// unset or relative (the XDG spec says to ignore relative values).
func TestCacheDirDefault(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	want := filepath.Join(home, ".cache", "tomebench", "onnxruntime-"+ORTVersion)
	for _, xdg := range []string{"", "relative/dir"} {
		t.Setenv("XDG_CACHE_HOME", xdg)
		if got, err := CacheDir(); err != nil || got != want {
			t.Errorf("XDG_CACHE_HOME=%q: CacheDir() = %q, %v; want %q", xdg, got, err, want)
		}
	}
}
