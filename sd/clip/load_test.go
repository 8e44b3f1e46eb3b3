package clip

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// folderWith links the fixture's vocab and merges into a temporary folder with the
// given extra files, as an SD 2.x tokenizer folder would have them.
func folderWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(fixtureDir, "tokenizer")
	for _, name := range []string{"vocab.json", "merges.txt"} {
		abs, err := filepath.Abs(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadSD2PadAndMaxLength(t *testing.T) {
	// SD 2.x's special_tokens_map.json sets pad_token "!", which is id 0 (manifest
	// transformers_sd2_variant); model_max_length comes from tokenizer_config.json.
	dir := folderWith(t, map[string]string{
		"tokenizer_config.json":   `{"model_max_length": 64, "pad_token": "<|endoftext|>"}`,
		"special_tokens_map.json": `{"pad_token": {"content": "!", "lstrip": false}}`,
	})
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.PadID() != 0 || tok.MaxLength() != 64 {
		t.Errorf("pad %d, max length %d; want 0, 64", tok.PadID(), tok.MaxLength())
	}
	row := tok.EncodeBatch([]string{"Hello, World!"}, 0)[0]
	// [sot] hello , world ! [eot] then zeros: transformers' CLIPTokenizer, which diffusers
	// uses, never splits the pad token, so the literal "!" is id 0, not CLIP's "!</w>"
	// (256) (pipeline/tokenizer manifest, transformers_sd2_variant; sdxl/run/tokenizer_check.json).
	want := []int64{49406, 3306, 267, 1002, 0, 49407, 0}
	if len(row) != 64 || !slices.Equal(row[:7], want) || row[63] != 0 {
		t.Errorf("row = %v, want 64 ids starting %v, zero padded", row, want)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		missing string // file to delete
		wantIn  string // file named in the error
		wantMsg string
	}{
		{name: "no vocab", missing: "vocab.json", wantIn: "vocab.json", wantMsg: "cannot read vocabulary"},
		{name: "no merges", missing: "merges.txt", wantIn: "merges.txt", wantMsg: "cannot read merges"},
		{name: "bad pad", files: map[string]string{"special_tokens_map.json": `{"pad_token": "<pad>"}`},
			wantIn: "special_tokens_map.json", wantMsg: `pad token "<pad>" is not in the vocabulary`},
		{name: "bad config JSON", files: map[string]string{"tokenizer_config.json": `{"model_max_length": `},
			wantIn: "tokenizer_config.json", wantMsg: "invalid JSON"},
	}
	for _, c := range cases {
		dir := folderWith(t, c.files)
		if c.missing != "" {
			os.Remove(filepath.Join(dir, c.missing))
		}
		_, err := Load(dir)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.HasSuffix(fe.File, c.wantIn) || !strings.Contains(err.Error(), c.wantMsg) {
			t.Errorf("%s: error %v, want a *FileError naming %s and saying %q", c.name, err, c.wantIn, c.wantMsg)
		}
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "merges.txt")
	os.WriteFile(bad, []byte("#version: 0.2\na b\nonly\n"), 0o644)
	_, err := ReadMerges(bad)
	if err == nil || !strings.Contains(err.Error(), bad+":3") {
		t.Errorf("ReadMerges(bad line 3) = %v, want an error naming %s:3", err, bad)
	}
	vocab := filepath.Join(dir, "vocab.json")
	os.WriteFile(vocab, []byte(`{"a": 0}`), 0o644)
	os.WriteFile(bad, []byte("a b\n"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "<|startoftext|>") {
		t.Errorf("Load(vocab without specials) = %v, want an error about <|startoftext|>", err)
	}
}
