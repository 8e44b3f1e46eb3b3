package clip

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSDXLTokenizers checks both SDXL tokenizers against transformers 4.26.1's
// CLIPTokenizer (sdxl/run/tokenizer_check.json: ids of tok(text, padding="max_length",
// max_length=77, truncation=True)). tokenizer_2 pads with "!" (id 0), which also makes a
// literal "!" a never-split special token.
func TestSDXLTokenizers(t *testing.T) {
	const dir = "../../../shared/fixtures/sdxl"
	raw, err := os.ReadFile(filepath.Join(dir, "run/tokenizer_check.json"))
	if err != nil {
		t.Skipf("SDXL fixtures absent (%v)", err)
	}
	var check struct {
		Rows []struct {
			Text       string
			Tokenizer  struct{ IDs []int64 }
			Tokenizer2 struct{ IDs []int64 } `json:"tokenizer_2"`
		}
	}
	if err := json.Unmarshal(raw, &check); err != nil {
		t.Fatal(err)
	}
	tok1, err := Load(filepath.Join(dir, "tiny_sdxl/tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := Load(filepath.Join(dir, "tiny_sdxl/tokenizer_2"))
	if err != nil {
		t.Fatal(err)
	}
	if tok2.PadID() != 0 || tok2.NeverSplit() != "!" || tok1.NeverSplit() != "" {
		t.Fatalf("tokenizer_2 pads with %d, never splits %q; tokenizer never splits %q", tok2.PadID(), tok2.NeverSplit(), tok1.NeverSplit())
	}
	for _, r := range check.Rows {
		for _, c := range []struct {
			name string
			tok  *Tokenizer
			want []int64
		}{{"tokenizer", tok1, r.Tokenizer.IDs}, {"tokenizer_2", tok2, r.Tokenizer2.IDs}} {
			got := c.tok.EncodeBatch([]string{r.Text}, 77)[0]
			if !slices.Equal(got, c.want) {
				t.Errorf("%s(%q):\n got %v\nwant %v", c.name, r.Text, got, c.want)
			}
		}
	}
}
