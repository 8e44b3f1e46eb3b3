package clip

import (
	"strings"
	"testing"
)

// FuzzEncodeBatch: any string frames to 77 ids starting with <|startoftext|>, holding
// exactly one <|endoftext|> before the padding, and Encode loses no non-space text:
// Decode(Encode(s)) equals Clean(s) once spaces are removed from both.
func FuzzEncodeBatch(f *testing.F) {
	tok, strs := loadFixture(f)
	for _, s := range strs {
		f.Add(s.Text)
	}
	f.Add("\xff\xfe invalid utf-8 \xc3")
	f.Fuzz(func(t *testing.T, s string) {
		row := tok.EncodeBatch([]string{s}, 0)[0]
		if len(row) != 77 || row[0] != 49406 {
			t.Fatalf("EncodeBatch(%q) = %v: want 77 ids starting with 49406", s, row)
		}
		ids := tok.Encode(s)
		n := min(len(ids), 75)
		if row[n+1] != 49407 {
			t.Fatalf("EncodeBatch(%q): end token not at %d: %v", s, n+1, row)
		}
		noSpace := func(x string) string {
			return strings.Map(func(r rune) rune {
				if isSpace(r) {
					return -1
				}
				return r
			}, x)
		}
		if got, want := noSpace(tok.Decode(ids)), noSpace(Clean(strings.ToValidUTF8(s, "\ufffd"))); got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q (spaces removed)", s, got, want)
		}
	})
}
