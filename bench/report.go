package bench

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes r as a header of settings and a table with one row per ratio:
//
//	r% | blocks | s/call | min–max | ×faster | ceiling | ToMe ops | opened GB | peak RSS GB | act. GB/im [| limit im | GB/im]
//
// "opened GB" is the resident memory once the session is open, before any call;
// "ceiling" is Row.Ceiling, with the changed layers' share of the unpatched call.
//
// With ToDo or AgentSD rows a first column names each row's method (Row.Label); r%
// is then "—" on ToDo rows and AgentSD's merge ratio on AgentSD rows, and "ToMe ops
// %" the share of the row's method's own nodes (IsMethodNode).
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	s, e := r.Settings, r.Environment
	what := s.Arch
	if what == "" {
		what = s.Model
	} else {
		what += " (random weights)"
	}
	fmt.Fprintf(&b, "UNet %s, %d×%d image (latent %d×%d), batch %d (%g image(s) per call), %s, %s attention\n",
		what, s.Size, s.Size, s.Latent, s.Latent, s.Batch, s.ImagesPerCall, s.Precision, s.Attention)
	threads := "default"
	if s.Threads > 0 {
		threads = fmt.Sprint(s.Threads)
	}
	fmt.Fprintf(&b, "%s provider, threads %s; %s, %d cores, %.0f GB; ONNX Runtime %s; %s; load %s → %s\n",
		s.Provider, threads, e.CPU, e.Cores, float64(e.MemoryBytes)/1e9, e.ORTVersion, e.GoVersion, loads(e.LoadBefore), loads(e.LoadAfter))
	if e.GPU != "" {
		fmt.Fprintf(&b, "GPU: %s\n", e.GPU)
	}
	fmt.Fprintf(&b, "%d round(s), ratios interleaved; weights %.2f GB; session %s\n\n", s.Repeat, float64(r.WeightsBytes)/1e9, s.SessionOptions)
	limit := s.MemoryLimit > 0
	others := false // rows of methods other than ToMe
	for _, row := range r.Rows {
		others = others || row.Method == MethodToDo || row.Method == MethodAgentSD
	}
	if others {
		b.WriteString("| method ")
	}
	b.WriteString("| r% | blocks patched | s/call (median) | min–max | ×faster | ceiling | ToMe ops % | opened GB | peak RSS GB | act. GB/im |")
	sep := "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	if others {
		sep = "| :--- " + sep
	}
	if limit {
		b.WriteString(fmt.Sprintf(" max im @ %.1f GB | GB/im (limit) |", float64(s.MemoryLimit)/1e9))
		sep += " ---: | ---: |"
	}
	b.WriteString("\n" + sep + "\n")
	for _, row := range r.Rows {
		share, ceiling := "—", "—"
		if row.ToMeShare != nil {
			share = fmt.Sprintf("%.1f", 100**row.ToMeShare)
		}
		if row.Ceiling != nil {
			ceiling = fmt.Sprintf("%.2f× (%.0f%%)", *row.Ceiling, 100**row.LayerShare)
		}
		reference := row.Method == MethodNone || row.Method == "" && row.Ratio == 0
		blocks := "—"
		if !reference {
			blocks = fmt.Sprintf("%d/%d", row.PatchedBlocks, row.Blocks)
		}
		if others {
			label := row.Label
			if label == "" {
				label = "?"
			}
			fmt.Fprintf(&b, "| %s ", label)
		}
		ratio := fmt.Sprintf("%g", 100*row.Ratio)
		if row.Method == MethodToDo {
			ratio = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %.3f | %.3f–%.3f | %.2f× (%.2f–%.2f) | %s | %s | %.2f | %.2f | %.3f |",
			ratio, blocks, row.Seconds.Median, row.Seconds.Min, row.Seconds.Max,
			row.Speedup.Median, row.Speedup.Min, row.Speedup.Max, ceiling, share,
			float64(row.OpenedRSSBytes)/1e9, float64(row.PeakRSSBytes)/1e9, float64(row.ActivationBytesPerImage)/1e9)
		if limit {
			if row.LimitMaxImages > 0 {
				fmt.Fprintf(&b, " %d | %.3f |", row.LimitMaxImages, float64(row.LimitBytesPerImage)/1e9)
			} else {
				b.WriteString(" 0 | — |")
			}
		}
		b.WriteString("\n")
	}
	for _, wrn := range r.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s", wrn)
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func loads(l []float64) string {
	if len(l) == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f", l[0])
}
