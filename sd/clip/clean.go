package clip

import (
	"strings"
	"unicode"
)

// Clean is CLIP's text normalisation before splitting:
// whitespace_clean(basic_clean(text)).lower(), where basic_clean is FixText, then
// html.unescape applied twice, then strip; whitespace_clean collapses each run of
// whitespace into one space and strips. Whitespace and lower-casing follow Python's str
// semantics (isspace; lower with İ → i̇ and the final-sigma rule).
func Clean(text string) string {
	text = FixText(text)
	text = pyUnescape(pyUnescape(text))
	text = strings.TrimFunc(text, isPySpace)
	text = strings.Join(strings.FieldsFunc(text, isPySpace), " ")
	return pyLower(text)
}

// isPySpace is Python's str.isspace for one character (what re's \s and str.strip use):
// bidirectional class WS, B or S, or category Zs.
func isPySpace(r rune) bool {
	switch {
	case r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f):
		return true
	case r < 0x80:
		return false
	case r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a),
		r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000:
		return true
	}
	return false
}

// pyLower is Python's str.lower: the simple lower-case mapping, plus the two rules of
// SpecialCasing.txt Python applies: U+0130 (İ) becomes "i̇", and Σ becomes final ς
// when it ends a word (preceded by a cased letter and not followed by one, ignoring
// case-ignorable characters in between).
func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if finalSigma(rs, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is CPython's handle_capital_sigma test for rs[i] == 'Σ'.
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && isCaseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !isCased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && isCaseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !isCased(rs[j])
}

func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is Unicode's Case_Ignorable: categories Mn, Me, Cf, Lm, Sk, or
// Word_Break MidLetter, MidNumLet or Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
