package clip

import "testing"

// TestClean pins the Python semantics Clean reproduces. Expected values are what
// CPython 3.11 and ftfy 6.3.1 return (html.unescape, str.lower, str.split, ftfy.fix_text),
// as documented in their references.
func TestClean(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"lower+strip", "  A PHOTO\tOF\n A  Cat ", "a photo of a cat"},
		{"python whitespace", "a\u00a0b\u3000c\u2028d\u205fe", "a b c d e"}, // str.isspace
		{"zero width is not space", "a\u200bb", "a\u200bb"},                 // U+200B is Cf
		{"dotted capital I", "İstanbul", "i\u0307stanbul"},                  // SpecialCasing
		{"final sigma", "ΟΔΟΣ ΣΑ", "οδος σα"},                               // Final_Sigma
		{"html twice", "fish &amp;amp; chips", "fish & chips"},              // html.unescape ×2
		{"numeric refs", "&#x1F600;&#128;&#1;x&#0;", "😀€x\ufffd"},           // _replace_charref
		{"unescape with tags", "<b>a &amp; b</b>", "<b>a & b</b>"},          // CLIP, not transformers
		{"ligatures", "ﬁne ﬂower", "fine flower"},                           // fix_latin_ligatures
		{"fullwidth", "ＡＢＣ１２３", "abc123"},                                   // fix_character_width
		{"curly", "“q” ‘s’", `"q" 's'`},                                     // uncurl_quotes
		{"mojibake", "CafÃ© â€œquotedâ€\u009d", `café "quoted"`},            // fix_encoding
		{"latin-1 kept", "café naïve", "café naïve"},                        // not mojibake
		{"controls", "bell\x07 del\x7f bom\ufeff", "bell del bom"},          // remove_control_chars
		{"terminal escape", "\x1b[31mred\x1b[0m", "red"},                    // remove_terminal_escapes
		{"nfc", "cafe\u0301", "café"},                                       // NFC
	}
	if !isPySpace(0x1c) || isPySpace(0x200b) {
		t.Error("isPySpace: want U+001C space and U+200B not") // str.isspace
	}
	for _, c := range cases {
		if got := Clean(c.in); got != c.want {
			t.Errorf("%s: Clean(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// TestSplit checks CLIP's pattern on cases that exercise alternative order.
func TestSplit(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"it's don't", []string{"it", "'s", "don", "'t"}},
		{"'sa", []string{"'s", "a"}},
		{"'x", []string{"'", "x"}},
		{"''s", []string{"''", "s"}}, // the run of symbols wins at the first quote
		{"a<|endoftext|>b", []string{"a", "<|endoftext|>", "b"}},
		{"!<|endoftext|>", []string{"!<|", "endoftext", "|>"}},
		{"42nd 1e-3", []string{"4", "2", "nd", "1", "e", "-", "3"}},
		{":-) (o_o)", []string{":-)", "(", "o", "_", "o", ")"}},
	}
	for _, c := range cases {
		got := Split(c.in)
		if len(got) != len(c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Split(%q) = %q, want %q", c.in, got, c.want)
				break
			}
		}
	}
}
