package clip

import (
	"strings"
	"unicode/utf8"
)

// byteEncoder is CLIP's bytes_to_unicode(): each byte maps to a printable character,
// itself for '!'..'~', '¡'..'¬', '®'..'ÿ', and 256+k for the k-th other byte.
var byteEncoder, byteDecoder = buildByteMaps()

func buildByteMaps() ([256]rune, map[rune]byte) {
	var enc [256]rune
	dec := make(map[rune]byte, 256)
	next := rune(256)
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xa1 <= b && b <= 0xac) || (0xae <= b && b <= 0xff) {
			enc[b] = rune(b)
		} else {
			enc[b] = next
			next++
		}
		dec[enc[b]] = byte(b)
	}
	return enc, dec
}

// byteEncode maps the UTF-8 bytes of piece to bytes_to_unicode characters, one symbol
// per byte.
func byteEncode(piece string) []string {
	syms := make([]string, len(piece))
	for i := 0; i < len(piece); i++ {
		syms[i] = string(byteEncoder[piece[i]])
	}
	return syms
}

// pair is two adjacent BPE symbols.
type pair struct{ a, b string }

// bpe merges the byte-encoded symbols of one piece, the last one marked with </w>, by
// repeatedly joining every occurrence (left to right) of the adjacent pair with the
// lowest merge rank, until no adjacent pair has a rank (SimpleTokenizer.bpe).
func bpe(syms []string, ranks map[pair]int) []string {
	word := append([]string(nil), syms...)
	word[len(word)-1] += "</w>"
	for len(word) > 1 {
		best, bestRank := pair{}, -1
		for i := 0; i+1 < len(word); i++ {
			p := pair{word[i], word[i+1]}
			if r, ok := ranks[p]; ok && (bestRank < 0 || r < bestRank) {
				best, bestRank = p, r
			}
		}
		if bestRank < 0 {
			break
		}
		merged := word[:0:0]
		for i := 0; i < len(word); i++ {
			if i+1 < len(word) && word[i] == best.a && word[i+1] == best.b {
				merged = append(merged, best.a+best.b)
				i++
			} else {
				merged = append(merged, word[i])
			}
		}
		word = merged
	}
	return word
}

// decodeSymbols turns vocabulary entries back into text: </w> becomes a space and the
// bytes_to_unicode characters become bytes again (invalid UTF-8 is replaced, as CLIP's
// decode does with errors="replace").
func decodeSymbols(tokens []string) string {
	var buf []byte
	for _, t := range tokens {
		t = strings.ReplaceAll(t, "</w>", " ")
		for _, r := range t {
			if b, ok := byteDecoder[r]; ok {
				buf = append(buf, b)
			} else {
				buf = utf8.AppendRune(buf, r)
			}
		}
	}
	return strings.ToValidUTF8(string(buf), "\ufffd")
}
