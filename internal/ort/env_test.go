package ort

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestMissingProviderLibs lays out a fake GPU release (library plus
// provider libraries) and a CPU one, and checks what is reported missing.
func TestMissingProviderLibs(t *testing.T) {
	gpu, cpu, links := t.TempDir(), t.TempDir(), t.TempDir()
	for _, f := range append([]string{LibraryName}, cudaProviderLibs...) {
		if err := os.WriteFile(filepath.Join(gpu, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(cpu, LibraryName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A link to the GPU library from elsewhere finds the providers beside
	// the link's target.
	if err := os.Symlink(filepath.Join(gpu, LibraryName), filepath.Join(links, LibraryName)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		lib  string
		want []string
	}{
		{"GPU release", filepath.Join(gpu, LibraryName), nil},
		{"symlink to GPU release", filepath.Join(links, LibraryName), nil},
		{"CPU build", filepath.Join(cpu, LibraryName), []string{filepath.Join(cpu, cudaProviderLibs[0]), filepath.Join(cpu, cudaProviderLibs[1])}},
	}
	for _, c := range cases {
		if got := missingProviderLibs(c.lib, cudaProviderLibs); !slices.Equal(got, c.want) {
			t.Errorf("%s: missing %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMemorySettings(t *testing.T) {
	for _, c := range []struct {
		o    SessionOptions
		want string
	}{
		{SessionOptions{}, "arena=on mem_pattern=off"},
		{SessionOptions{MemPattern: true}, "arena=on mem_pattern=on"},
		{SessionOptions{NoCPUArena: true, OptLevel: OptBasic}, "arena=off mem_pattern=off opt=basic"},
	} {
		if got := c.o.MemorySettings(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
}
