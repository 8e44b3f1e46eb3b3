package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/tomebench/tomebench/experiments"
)

// WriteLaTeX writes t as a LaTeX tabular fragment with booktabs rules (\toprule,
// \midrule, \bottomrule): \input it into a document that loads booktabs. The
// footnotes come first as comments, for the caption.
func WriteLaTeX(w io.Writer, run *experiments.Run, t *Table) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%% tomebench report: %s. Needs \\usepackage{booktabs}.\n", oneLine(run.Plan.Name))
	for _, n := range t.Footnotes {
		fmt.Fprintf(bw, "%% %s\n", oneLine(n))
	}
	header, rows := t.Cells()
	fmt.Fprintf(bw, "\\begin{tabular}{l%s}\n\\toprule\n", strings.Repeat("r", len(header)-1))
	line := func(cells []string) {
		for i, c := range cells {
			cells[i] = TeXEscape(c)
		}
		fmt.Fprintf(bw, "%s \\\\\n", strings.Join(cells, " & "))
	}
	line(header)
	fmt.Fprintf(bw, "\\midrule\n")
	for _, r := range rows {
		line(r)
	}
	fmt.Fprintf(bw, "\\bottomrule\n\\end{tabular}\n")
	return bw.Flush()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var texReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `$`, `\$`, `&`, `\&`, `#`, `\#`,
	`%`, `\%`, `_`, `\_`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	"→", `$\rightarrow$`, "±", `$\pm$`, "×", `$\times$`, "—", `---`, "∞", `$\infty$`,
	"⁹", `$^9$`, "<", `\textless{}`, ">", `\textgreater{}`,
)

// TeXEscape makes s safe as LaTeX text: the special characters are escaped and the
// symbols the table uses (→ ± × — ∞) become their LaTeX forms.
func TeXEscape(s string) string { return texReplacer.Replace(s) }
