// Package clip is the byte-level BPE tokenizer of OpenAI's CLIP (clip/simple_tokenizer.py,
// commit d05afc4), which Stable Diffusion uses for its prompts, in pure Go.
//
// A Tokenizer is loaded from a diffusers/transformers tokenizer folder ([Load]: vocab.json,
// merges.txt and, when present, tokenizer_config.json and special_tokens_map.json for the
// pad token and model_max_length). Encoding a prompt follows SimpleTokenizer.encode step
// by step:
//
//  1. basic_clean: text repair (a subset of ftfy.fix_text, see [Clean]), then
//     html.unescape twice, then strip;
//  2. whitespace_clean: every run of whitespace becomes one space; then lower-case;
//  3. split with CLIP's pattern
//     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+;
//  4. each piece's UTF-8 bytes are mapped to printable characters (bytes_to_unicode) and
//     merged by BPE with the merge ranks of merges.txt, the last symbol carrying </w>;
//  5. the resulting symbols are looked up in vocab.json.
//
// [Tokenizer.EncodeBatch] then frames each prompt like clip.tokenize(truncate=True):
// <|startoftext|> (49406), at most maxLen-2 BPE ids, <|endoftext|> (49407), padded to
// maxLen (77) with the folder's pad token: <|endoftext|> for SD 1.x, "!" (id 0) for SD 2.x.
//
// Where CLIP and transformers' CLIPTokenizer differ, this package follows CLIP: it
// unescapes HTML entities even in text with tags ("<b>a &amp; b</b>"), and with the SD 2.x
// pad token "!" a literal "!" in a prompt stays BPE token 256 ("!</w>") where
// transformers turns it into the special token 0.
package clip
