package models

// WriteCLIPTokenizer writes CLIP's BPE tokenizer files (vocab.json, merges.txt and the
// transformers configs), built into tomebench, into dir with pad as the pad token
// ("<|endoftext|>" for SD 1.x, "!" for SD 2.x). Single-file checkpoints carry no
// tokenizer; this is the one diffusers would fetch from the Hub for them.
func WriteCLIPTokenizer(dir, pad string) error { return writeTokenizer(dir, pad) }
