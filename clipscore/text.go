package clipscore

import (
	"fmt"

	"github.com/tomebench/tomebench/sd/clip"
)

// Tokens are a batch of prompts as torchmetrics feeds them to get_text_features.
type Tokens struct {
	IDs       [][]int64 // one row per prompt, all of one width ≤ max_position_embeddings
	Truncated []bool    // the framed prompt was longer than max_position_embeddings and lost its end token
}

// Tokenize encodes prompts as torchmetrics does: CLIPProcessor(text, padding=True)
// frames each as [start] + BPE + [end] and pads to the longest row with the pad token,
// without truncating; then, when that width exceeds maxPositions (77), every row is
// sliced to maxPositions. A sliced row has no end token, so the text tower, which
// pools at the row's largest id, pools at the start token (position 0): all such
// prompts get the same embedding. Truncated marks them.
func Tokenize(tok *clip.Tokenizer, prompts []string, maxPositions int) Tokens {
	rows := make([][]int64, len(prompts))
	width := 0
	for i, p := range prompts {
		bpe := tok.Encode(p)
		r := make([]int64, 0, len(bpe)+2)
		r = append(r, int64(tok.StartID()))
		for _, id := range bpe {
			r = append(r, int64(id))
		}
		rows[i] = append(r, int64(tok.EndID()))
		width = max(width, len(rows[i]))
	}
	out := Tokens{IDs: rows, Truncated: make([]bool, len(prompts))}
	for i, r := range rows {
		out.Truncated[i] = len(r) > maxPositions
		for len(r) < width {
			r = append(r, int64(tok.PadID()))
		}
		out.IDs[i] = r[:min(width, maxPositions)]
	}
	return out
}

// longCaptionWarning explains what happened to the prompts longer than the text tower.
func longCaptionWarning(n, maxPositions int, example string) string {
	if len(example) > 60 {
		example = example[:57] + "..."
	}
	return fmt.Sprintf("%d prompt(s) longer than %d tokens (e.g. %q): sliced to %d as torchmetrics does, which drops the "+
		"end token, so they all pool at the start token and get the same text embedding; their scores do not depend on the "+
		"caption and mean nothing (kept for comparability with torchmetrics)", n, maxPositions-2, example, maxPositions)
}
