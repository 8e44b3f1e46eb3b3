package agentsd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report as a table, one transformer block per row, then the
// partition inputs, the opset change and the warnings:
//
//	block                                            N     grid   ds  r     agents  note
//	down_blocks.0.attentions.0.transformer_blocks.0  4096  64x64  1   1638  256     tome_rand_idx_0
func (r Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "agentsd, latent %dx%d: %d of %d transformer blocks merged, %d with agent attention\n", r.LatentH, r.LatentW, r.Patched, len(r.Blocks), r.Agents)
	if len(r.Blocks) > 0 {
		tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "block\tN\tgrid\tds\tr\tagents\tnote")
		for _, b := range r.Blocks {
			n, grid, ds, rr, ag, note := "?", "-", "-", "-", "-", b.Reason
			if b.N > 0 {
				n, ds = fmt.Sprint(b.N), fmt.Sprint(b.Downsample)
			}
			if b.H > 0 {
				grid = fmt.Sprintf("%dx%d", b.H, b.W)
			}
			if b.Patched {
				rr, note = fmt.Sprint(b.R), b.RandInput
				if b.Agent {
					ag = fmt.Sprint(b.NumAgents)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, n, grid, ds, rr, ag, note)
		}
		tw.Flush()
	}
	for _, in := range r.RandInputs {
		s := in.Shape()
		fmt.Fprintf(&sb, "input %s: int64 [%d, %d] (rand_idx of %s, values in [0, %d))\n", in.Name, s[0], s[1], in.Block, in.SX*in.SY)
	}
	if r.OpsetTo != r.OpsetFrom {
		fmt.Fprintf(&sb, "opset %d -> %d (checked: %s)\n", r.OpsetFrom, r.OpsetTo, strings.Join(r.OpsChecked, ", "))
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(&sb, "warning: %v\n", e)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
