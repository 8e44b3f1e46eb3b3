package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Fatalf("read %q, %v; want %q", b, err, content)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files left in the folder; want only a.txt", len(ents))
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "b.txt"), nil); err == nil {
		t.Errorf("writing into a missing folder succeeded")
	}
}

func TestCopyAndHash(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.WriteFile(src, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CopyFile(src, dst); err != nil {
		t.Fatal(err)
	}
	h, err := SHA256(dst)
	// sha256("abc"), FIPS 180-2 appendix B.1.
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || h != want {
		t.Errorf("SHA256 = %s, %v; want %s", h, err, want)
	}
	if _, err := SHA256(filepath.Join(dir, "none")); err == nil {
		t.Errorf("hashing a missing file succeeded")
	}
}
