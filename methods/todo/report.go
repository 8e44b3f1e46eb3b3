package todo

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report as a table, one transformer block per row:
//
//	block                                            N     grid   ds  f  kv grid  kv    note
//	down_blocks.0.attentions.0.transformer_blocks.0  4096  64x64  1   2  32x32    1024
//	down_blocks.1.attentions.0.transformer_blocks.0  1024  32x32  2   -  -        1024  depth 2 > max_downsample 1
func (r Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "todo, latent %dx%d: %d of %d transformer blocks downsample keys/values\n", r.LatentH, r.LatentW, r.Patched, len(r.Blocks))
	if len(r.Blocks) > 0 {
		tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "block\tN\tgrid\tds\tf\tkv grid\tkv\tnote")
		for _, b := range r.Blocks {
			n, grid, ds, f, kvg, kv := "?", "-", "-", "-", "-", "?"
			if b.N > 0 {
				n, ds, kv = fmt.Sprint(b.N), fmt.Sprint(b.Downsample), fmt.Sprint(b.KVTokens())
			}
			if b.H > 0 {
				grid = fmt.Sprintf("%dx%d", b.H, b.W)
			}
			if b.Patched {
				f, kvg = fmt.Sprint(b.Factor), fmt.Sprintf("%dx%d", b.NewH, b.NewW)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, n, grid, ds, f, kvg, kv, b.Reason)
		}
		tw.Flush()
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(&sb, "warning: %v\n", e)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
