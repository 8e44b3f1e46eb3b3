package clip

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// contractions are the pattern's English suffix alternatives, in its order.
var contractions = []string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}

// Split cuts cleaned text into the pieces CLIP's regular expression finds
// (re.findall with re.IGNORECASE), trying the alternatives in order at each position:
//
//	<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// Whitespace between pieces is dropped.
func Split(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		rest := text[i:]
		n := 0
		switch {
		case r == '<' && foldPrefixLen(rest, startToken) > 0:
			n = foldPrefixLen(rest, startToken)
		case r == '<' && foldPrefixLen(rest, endToken) > 0:
			n = foldPrefixLen(rest, endToken)
		case r == '\'' && contractionLen(rest) > 0:
			n = contractionLen(rest)
		case unicode.IsLetter(r):
			n = runLen(rest, unicode.IsLetter)
		case unicode.IsNumber(r):
			n = size
		case isSpace(r):
			i += size
			continue
		default:
			n = runLen(rest, isSymbol)
		}
		out = append(out, rest[:n])
		i += n
	}
	return out
}

// contractionLen is the length of the contraction s starts with, or 0.
func contractionLen(s string) int {
	for _, c := range contractions {
		if n := foldPrefixLen(s, c); n > 0 {
			return n
		}
	}
	return 0
}

// foldPrefixLen is the byte length of the prefix of s that equals the ASCII literal lit
// under simple case folding (the pattern is compiled with IGNORECASE, so ſ matches s),
// or 0.
func foldPrefixLen(s, lit string) int {
	end := 0
	for range len(lit) {
		if end == len(s) {
			return 0
		}
		_, sz := utf8.DecodeRuneInString(s[end:])
		end += sz
	}
	if strings.EqualFold(s[:end], lit) {
		return end
	}
	return 0
}

// runLen is the byte length of the longest prefix of s whose runes all satisfy f.
func runLen(s string, f func(rune) bool) int {
	for i, r := range s {
		if !f(r) {
			return i
		}
	}
	return len(s)
}

// isSpace is \s of the regex module: Python's whitespace plus Unicode White_Space.
func isSpace(r rune) bool { return isPySpace(r) || unicode.IsSpace(r) }

// isSymbol is [^\s\p{L}\p{N}].
func isSymbol(r rune) bool { return !isSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r) }
