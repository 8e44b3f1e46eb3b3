package experiments

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestModelIdentity(t *testing.T) {
	files := map[string]string{
		"model_index.json":         "{}",
		"unet/config.json":         `{"a": 1}`,
		"unet/model.safetensors":   "weights",
		"text_encoder/config.json": "{}",
	}
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, files)
	writeFiles(t, b, files)
	idA, err := ModelIdentity(a)
	if err != nil {
		t.Fatal(err)
	}
	// Another copy, hidden files, new mtimes: the same identity.
	writeFiles(t, b, map[string]string{".cache/x": "1", "unet/.lock": "2"})
	os.Chtimes(filepath.Join(b, "unet/config.json"), time.Unix(1, 0), time.Unix(1, 0))
	if idB, err := ModelIdentity(b); err != nil || idB != idA || len(idA) != 64 {
		t.Errorf("copy: %s, %v; want %s", idB, err, idA)
	}
	// Links are followed (a Hugging Face snapshot links into blobs/).
	c := t.TempDir()
	if err := os.Symlink(a, filepath.Join(c, "snap")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if id, err := ModelIdentity(filepath.Join(c, "snap")); err != nil || id != idA {
		t.Errorf("through a link: %s, %v", id, err)
	}
	d := t.TempDir()
	writeFiles(t, d, map[string]string{"model_index.json": "{}", "unet/config.json": `{"a": 1}`, "text_encoder/config.json": "{}"})
	os.MkdirAll(filepath.Join(d, "unet"), 0o755)
	os.Symlink(filepath.Join(a, "unet/model.safetensors"), filepath.Join(d, "unet/model.safetensors"))
	if id, err := ModelIdentity(d); err != nil || id != idA {
		t.Errorf("file links: %s, %v", id, err)
	}
	// Any change of content, name or a new file changes it.
	for _, change := range []map[string]string{
		{"unet/model.safetensors": "weightz"},
		{"unet/extra.txt": ""},
	} {
		e := t.TempDir()
		writeFiles(t, e, files)
		writeFiles(t, e, change)
		if id, _ := ModelIdentity(e); id == idA {
			t.Errorf("%v: identity unchanged", change)
		}
	}
	// A loop is an error, not an endless walk.
	os.Symlink(a, filepath.Join(a, "unet", "loop"))
	if _, err := ModelIdentity(a); err == nil {
		t.Error("no error for a link loop")
	}
	if _, err := ModelIdentity(filepath.Join(a, "missing")); err == nil {
		t.Error("no error for a missing folder")
	}
}

func TestHashContentLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 65 MiB")
	}
	p := filepath.Join(t.TempDir(), "big")
	buf := make([]byte, identityWholeFile+1)
	os.WriteFile(p, buf, 0o644)
	n1, h1, err := hashContent(p)
	if err != nil || n1 != int64(len(buf)) {
		t.Fatal(n1, err)
	}
	buf[identityEdge+10] = 1 // in the middle: not noticed (the documented trade-off)
	os.WriteFile(p, buf, 0o644)
	if _, h2, _ := hashContent(p); h2 != h1 {
		t.Error("middle edit changed the hash")
	}
	buf[len(buf)-1] = 1 // in the tail
	os.WriteFile(p, buf, 0o644)
	if _, h3, _ := hashContent(p); h3 == h1 {
		t.Error("tail edit not noticed")
	}
}
