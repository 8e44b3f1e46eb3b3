package clip

import "strings"

// transformers' CLIPTokenizer never splits its special tokens: before BPE the text is
// cut at every occurrence of one, and each occurrence becomes that token's id. For the
// start and end tokens our Split already does this. A pad token that is an ordinary
// vocabulary entry — "!" in SD 2.x's tokenizer and SDXL's tokenizer_2 — becomes such a
// token too, so a literal "!" in a prompt is id 0 there, not "!</w>" (256) or part of a
// longer BPE token ("!!!</w>"). OpenAI's CLIP tokenizer, which has no pad token, keeps
// "!" ordinary.

// SetNeverSplit makes token a special token that Encode never splits or merges (see
// above); "" turns the behaviour off. Load calls it for a pad token other than
// <|endoftext|>. It panics if token is not in the vocabulary.
func (t *Tokenizer) SetNeverSplit(token string) {
	if token == "" {
		t.noSplit = ""
		return
	}
	if _, ok := t.encoder[token]; !ok {
		panic("clip: SetNeverSplit: " + token + " is not in the vocabulary")
	}
	t.noSplit = token
	t.mu.Lock()
	clear(t.cache)
	t.mu.Unlock()
}

// NeverSplit returns the token set by SetNeverSplit ("" when none).
func (t *Tokenizer) NeverSplit() string { return t.noSplit }

// encodeNoSplit is Encode with the never-split token cut out first: transformers'
// PreTrainedTokenizer.tokenize splits on it (stripping the whitespace beside it, which
// the cleaning of each chunk drops anyway), tokenizes the chunks and puts its id between
// them.
func (t *Tokenizer) encodeNoSplit(text string) []int {
	id := t.encoder[t.noSplit]
	var ids []int
	for i, chunk := range strings.Split(text, t.noSplit) {
		if i > 0 {
			ids = append(ids, id)
		}
		for _, piece := range Split(Clean(chunk)) {
			ids = append(ids, t.encodePiece(piece)...)
		}
	}
	return ids
}
