package clip

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

// fixtureDir holds CLIP's tokenizer outputs (see its manifest.json).
var fixtureDir = filepath.Join("..", "..", "..", "shared", "fixtures", "pipeline", "tokenizer")

type fixtureString struct {
	Index  int    `json:"index"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	BPEIDs []int  `json:"bpe_ids"`
}

func loadFixture(t testing.TB) (*Tokenizer, []fixtureString) {
	t.Helper()
	tok, err := Load(filepath.Join(fixtureDir, "tokenizer"))
	if err != nil {
		t.Fatalf("fixture missing (see /work/shared/fixtures/README.md): %v", err)
	}
	data, err := os.ReadFile(filepath.Join(fixtureDir, "strings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var strs []fixtureString
	if err := json.Unmarshal(data, &strs); err != nil {
		t.Fatal(err)
	}
	return tok, strs
}

func TestLoadFolder(t *testing.T) {
	tok, _ := loadFixture(t)
	// Expected: manifest vocab_layout and SD 1.5's tokenizer_config.json.
	if tok.VocabSize() != 49408 || tok.StartID() != 49406 || tok.EndID() != 49407 || tok.PadID() != 49407 || tok.MaxLength() != 77 {
		t.Errorf("vocab %d, start %d, end %d, pad %d, max %d; want 49408, 49406, 49407, 49407, 77",
			tok.VocabSize(), tok.StartID(), tok.EndID(), tok.PadID(), tok.MaxLength())
	}
}

// TestEncodeFixture compares every string with CLIP's SimpleTokenizer: the untruncated
// BPE ids (strings.json bpe_ids) and the framed rows ids_sd1.npy (pad 49407, SD 1.x)
// and ids_pad0.npy (pad 0, = clip.tokenize and SD 2.x's pad "!").
func TestEncodeFixture(t *testing.T) {
	tok, strs := loadFixture(t)
	for _, c := range []struct {
		file string
		pad  string
	}{{"ids_sd1.npy", "<|endoftext|>"}, {"ids_pad0.npy", "!"}} {
		want, err := npy.ReadFile(filepath.Join(fixtureDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Shape) != 2 || want.Shape[0] != len(strs) || want.Shape[1] != 77 {
			t.Fatalf("%s: shape %v, want [%d 77]", c.file, want.Shape, len(strs))
		}
		if err := tok.SetPad(c.pad); err != nil {
			t.Fatal(err)
		}
		texts := make([]string, len(strs))
		for i, s := range strs {
			texts[i] = s.Text
		}
		got := tok.EncodeBatch(texts, 0)
		bad := 0
		for i, row := range got {
			w := want.I64[i*77 : (i+1)*77]
			if !slices.Equal(row, w) {
				bad++
				if bad <= 5 {
					t.Errorf("%s row %d (%s) %q:\n got %v\nwant %v", c.file, i, strs[i].Name, strs[i].Text, row, w)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d rows differ", c.file, bad, len(strs))
		}
	}
	for _, s := range strs {
		if got := tok.Encode(s.Text); !slices.Equal(got, s.BPEIDs) {
			t.Errorf("Encode(%q) [%s] = %v, want %v", s.Text, s.Name, got, s.BPEIDs)
		}
	}
}
