package tome

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report as a table, one transformer block per row, followed by
// the inputs the patched model expects, the opset change and the warnings:
//
//	block                                            N     grid   ds  r    layers          merged  note
//	down_blocks.0.attentions.0.transformer_blocks.0  1024  32x32  1   512  attn1,attn2,ff  attn1   tome_rand_idx_0
//	down_blocks.1.attentions.0.transformer_blocks.0  256   16x16  2   -    attn1,attn2,ff  -       downsample 2 > max_downsample 1
func (r Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "latent %dx%d: %d of %d transformer blocks patched\n", r.LatentH, r.LatentW, r.Patched, len(r.Blocks))
	if len(r.Blocks) > 0 {
		tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "block\tN\tgrid\tds\tr\tlayers\tmerged\tnote")
		for _, b := range r.Blocks {
			n, grid, ds, rr, merged, note := "?", "-", "-", "-", "-", b.Reason
			if b.N > 0 {
				n, ds = fmt.Sprint(b.N), fmt.Sprint(b.Downsample)
			}
			if b.H > 0 {
				grid = fmt.Sprintf("%dx%d", b.H, b.W)
			}
			if b.Patched {
				rr, merged, note = fmt.Sprint(b.R), strings.Join(b.Merged, ","), b.RandInput
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, n, grid, ds, rr, strings.Join(b.Layers, ","), merged, note)
		}
		tw.Flush()
	}
	for _, in := range r.RandInputs {
		s := in.Shape()
		fmt.Fprintf(&sb, "input %s: int64 [%d, %d] (rand_idx of %s, values in [0, %d))\n", in.Name, s[0], s[1], in.Block, in.SX*in.SY)
	}
	if r.OpsetTo != r.OpsetFrom {
		fmt.Fprintf(&sb, "opset %d -> %d; ops whose schema changed, checked to keep their meaning: %s\n",
			r.OpsetFrom, r.OpsetTo, orNone(strings.Join(r.OpsChecked, ", ")))
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(&sb, "warning: %v\n", e)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
