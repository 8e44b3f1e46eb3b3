package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// copyTree copies the regular files of src into dst, keeping modification times.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, _ := d.Info()
		out := filepath.Join(dst, rel)
		os.MkdirAll(filepath.Dir(out), 0o755)
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return err
		}
		return os.Chtimes(out, st.ModTime(), st.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContentKey checks what the conversion cache key depends on (ContentKey's doc).
func TestContentKey(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, tinyPipeline, dir)
	key := func(prec string) string {
		k, err := ContentKey(dir, prec)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	orig, err := ContentKey(tinyPipeline, "fp32")
	if err != nil {
		t.Fatal(err)
	}
	base := key("fp32")
	cases := []struct {
		name   string
		change func()
		same   bool
	}{
		{"a copy with the same times", func() {}, true},
		{"another precision", nil, false},
		{"a file outside the components", func() { os.WriteFile(filepath.Join(dir, "README.md"), []byte("x"), 0o644) }, true},
		{"a config value", func() {
			p := filepath.Join(dir, "vae", "config.json")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, append(data, ' '), 0o644)
		}, false},
		{"a weights file's time", func() {
			p := filepath.Join(dir, "unet", "diffusion_pytorch_model.safetensors")
			os.Chtimes(p, time.Unix(1, 0), time.Unix(1, 0))
		}, false},
		{"a new tokenizer file", func() { os.WriteFile(filepath.Join(dir, "tokenizer", "added_tokens.json"), []byte("{}"), 0o644) }, false},
	}
	prev := base
	for _, c := range cases {
		var got string
		if c.change == nil {
			got = key("fp16")
		} else {
			c.change()
			got = key("fp32")
		}
		if c.name == "a copy with the same times" && got != orig {
			t.Errorf("%s: key %s, fixture's %s", c.name, got, orig)
		}
		if c.change != nil {
			if (got == prev) != c.same {
				t.Errorf("%s: key changed = %v, want %v", c.name, got != prev, !c.same)
			}
			prev = got
		} else if got == base {
			t.Errorf("%s: same key", c.name)
		}
	}
	bad := t.TempDir()
	copyTree(t, filepath.Join(tinyPipeline, "scheduler"), filepath.Join(bad, "scheduler"))
	os.MkdirAll(filepath.Join(bad, "unet"), 0o755)
	os.WriteFile(filepath.Join(bad, "unet", "diffusion_pytorch_model.safetensors"), []byte("short"), 0o644)
	if _, err := ContentKey(bad, "fp32"); err == nil {
		t.Error("a truncated safetensors file gave a key")
	}
}
