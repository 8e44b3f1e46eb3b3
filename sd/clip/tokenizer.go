package clip

import (
	"fmt"
	"strings"
	"sync"
)

// The special tokens of CLIP's vocabulary.
const (
	startToken = "<|startoftext|>"
	endToken   = "<|endoftext|>"
)

// DefaultMaxLength is the context length of CLIP's text encoder, and so of SD prompts.
const DefaultMaxLength = 77

// A Tokenizer encodes text into CLIP token ids. It is safe for concurrent use.
type Tokenizer struct {
	encoder map[string]int
	decoder map[int]string
	ranks   map[pair]int

	startID, endID, padID int
	maxLength             int
	noSplit               string // a special token Encode never splits (SetNeverSplit)

	mu    sync.Mutex
	cache map[string][]int // piece -> ids, as SimpleTokenizer.cache
}

// cacheLimit bounds the piece cache; it is emptied when full.
const cacheLimit = 1 << 16

// New builds a tokenizer from a vocabulary (token -> id) and merges in rank order. The
// vocabulary must hold <|startoftext|> and <|endoftext|>; padding uses <|endoftext|>
// and the maximum length is DefaultMaxLength until changed with SetPad / SetMaxLength.
func New(vocab map[string]int, merges [][2]string) (*Tokenizer, error) {
	t := &Tokenizer{
		encoder:   vocab,
		decoder:   make(map[int]string, len(vocab)),
		ranks:     make(map[pair]int, len(merges)),
		maxLength: DefaultMaxLength,
		cache:     map[string][]int{},
	}
	for tok, id := range vocab {
		t.decoder[id] = tok
	}
	for i, m := range merges {
		if _, dup := t.ranks[pair{m[0], m[1]}]; !dup {
			t.ranks[pair{m[0], m[1]}] = i
		}
	}
	var ok bool
	if t.startID, ok = vocab[startToken]; !ok {
		return nil, fmt.Errorf("clip: vocabulary has no %s", startToken)
	}
	if t.endID, ok = vocab[endToken]; !ok {
		return nil, fmt.Errorf("clip: vocabulary has no %s", endToken)
	}
	for b := range 256 {
		s := string(byteEncoder[b])
		if _, ok := vocab[s]; !ok {
			return nil, fmt.Errorf("clip: vocabulary lacks the byte symbol %q (byte %#x)", s, b)
		}
		if _, ok := vocab[s+"</w>"]; !ok {
			return nil, fmt.Errorf("clip: vocabulary lacks the byte symbol %q (byte %#x)", s+"</w>", b)
		}
	}
	t.padID = t.endID
	return t, nil
}

// StartID is the id of <|startoftext|> (49406 in CLIP's vocabulary).
func (t *Tokenizer) StartID() int { return t.startID }

// EndID is the id of <|endoftext|> (49407).
func (t *Tokenizer) EndID() int { return t.endID }

// PadID is the id padding fills with: EndID for SD 1.x, 0 ("!") for SD 2.x folders.
func (t *Tokenizer) PadID() int { return t.padID }

// MaxLength is the length EncodeBatch frames to when given 0 (model_max_length).
func (t *Tokenizer) MaxLength() int { return t.maxLength }

// VocabSize is the number of vocabulary entries (49,408 for CLIP).
func (t *Tokenizer) VocabSize() int { return len(t.encoder) }

// SetPad makes padding use the given vocabulary token (e.g. "!" for SD 2.x).
func (t *Tokenizer) SetPad(token string) error {
	id, ok := t.encoder[token]
	if !ok {
		return fmt.Errorf("clip: pad token %q is not in the vocabulary", token)
	}
	t.padID = id
	return nil
}

// SetMaxLength sets the default frame length of EncodeBatch. It panics if n < 2.
func (t *Tokenizer) SetMaxLength(n int) {
	if n < 2 {
		panic(fmt.Sprintf("clip: SetMaxLength(%d): need room for start and end tokens", n))
	}
	t.maxLength = n
}

// Encode returns the BPE token ids of text, without start and end tokens and without
// truncation (SimpleTokenizer.encode). Invalid UTF-8 is first replaced with U+FFFD.
func (t *Tokenizer) Encode(text string) []int {
	text = strings.ToValidUTF8(text, "\ufffd")
	if t.noSplit != "" {
		return t.encodeNoSplit(text)
	}
	var ids []int
	for _, piece := range Split(Clean(text)) {
		ids = append(ids, t.encodePiece(piece)...)
	}
	return ids
}

func (t *Tokenizer) encodePiece(piece string) []int {
	switch piece { // SimpleTokenizer's cache starts with the two special tokens
	case startToken:
		return []int{t.startID}
	case endToken:
		return []int{t.endID}
	}
	t.mu.Lock()
	ids, ok := t.cache[piece]
	t.mu.Unlock()
	if ok {
		return ids
	}
	for _, sym := range bpe(byteEncode(piece), t.ranks) {
		id, ok := t.encoder[sym]
		if !ok {
			// Only a vocabulary inconsistent with its merges gets here (CLIP raises
			// KeyError): fall back to the symbol's byte characters, which New checked.
			base, hasEnd := strings.CutSuffix(sym, "</w>")
			rs := []rune(base)
			for k, r := range rs {
				s := string(r)
				if hasEnd && k == len(rs)-1 {
					s += "</w>"
				}
				ids = append(ids, t.encoder[s])
			}
			continue
		}
		ids = append(ids, id)
	}
	t.mu.Lock()
	if len(t.cache) >= cacheLimit {
		clear(t.cache)
	}
	t.cache[piece] = ids
	t.mu.Unlock()
	return ids
}

// Frame returns ids framed like clip.tokenize(truncate=True): [start] + ids + [end],
// cut to maxLen keeping the end token last, padded to maxLen with PadID. maxLen 0 means
// MaxLength(); it panics if maxLen is 1 or negative.
func (t *Tokenizer) Frame(ids []int, maxLen int) []int64 {
	if maxLen == 0 {
		maxLen = t.maxLength
	}
	if maxLen < 2 {
		panic(fmt.Sprintf("clip: frame length %d leaves no room for start and end tokens", maxLen))
	}
	out := make([]int64, maxLen)
	out[0] = int64(t.startID)
	n := min(len(ids), maxLen-2)
	for i, id := range ids[:n] {
		out[1+i] = int64(id)
	}
	out[1+n] = int64(t.endID)
	for i := n + 2; i < maxLen; i++ {
		out[i] = int64(t.padID)
	}
	return out
}

// EncodeBatch encodes and frames each text (see Frame): the input_ids of the text
// encoder, one row of maxLen (0: MaxLength(), 77) ids per text.
func (t *Tokenizer) EncodeBatch(texts []string, maxLen int) [][]int64 {
	out := make([][]int64, len(texts))
	for i, s := range texts {
		out[i] = t.Frame(t.Encode(s), maxLen)
	}
	return out
}

// Decode turns ids back into text (SimpleTokenizer.decode): symbols are joined, </w>
// becomes a space, and the bytes are read as UTF-8. Unknown ids are skipped.
func (t *Tokenizer) Decode(ids []int) string {
	syms := make([]string, 0, len(ids))
	for _, id := range ids {
		if s, ok := t.decoder[id]; ok {
			syms = append(syms, s)
		}
	}
	return decodeSymbols(syms)
}
