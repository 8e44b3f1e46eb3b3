package clip

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// charRef is html._charref of Python's standard library.
var charRef = regexp.MustCompile(`&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`)

// pyUnescape is Python's html.unescape. Named references are resolved by Go's html
// package (same HTML5 table, same longest-prefix rule for legacy names without ';');
// numeric references follow Python exactly: 0x80–0x9F as Windows-1252, 0 → U+FFFD,
// surrogates and values past U+10FFFF → U+FFFD, and control characters and
// noncharacters are dropped.
func pyUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return charRef.ReplaceAllStringFunc(s, func(m string) string {
		if m[1] != '#' {
			return html.UnescapeString(m)
		}
		digits, base := strings.TrimSuffix(m[2:], ";"), 10
		if digits[0] == 'x' || digits[0] == 'X' {
			digits, base = digits[1:], 16
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil || n > 0x10ffff {
			return "\ufffd" // too large for Python's chr
		}
		r := rune(n)
		switch {
		case r == 0:
			return "\ufffd"
		case r == 0x0d:
			return "\r"
		case r >= 0x80 && r <= 0x9f:
			return string(cp1252Rune(byte(r)))
		case r >= 0xd800 && r <= 0xdfff:
			return "\ufffd"
		case invalidCodepoint(r):
			return ""
		}
		return string(r)
	})
}

// invalidCodepoint is html._invalid_codepoints (those not handled before it).
func invalidCodepoint(r rune) bool {
	return (r >= 0x1 && r <= 0x8) || r == 0xb || (r >= 0xe && r <= 0x1f) || r == 0x7f ||
		(r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe
}

// cp1252High maps bytes 0x80–0x9F of Windows-1252 to Unicode; 0 marks the five bytes
// Windows-1252 leaves undefined, which Python's html module and ftfy's
// "sloppy-windows-1252" map to the code point of the same value.
var cp1252High = [32]rune{
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
}

// cp1252Rune decodes one byte as sloppy Windows-1252.
func cp1252Rune(b byte) rune {
	if b >= 0x80 && b <= 0x9f && cp1252High[b-0x80] != 0 {
		return cp1252High[b-0x80]
	}
	return rune(b)
}
