package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/tomebench/tomebench/experiments"
)

// WriteMarkdownTable writes t as a Markdown table followed by its footnotes.
func (t *Table) WriteMarkdownTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	header, rows := t.Cells()
	line := func(cells []string) {
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(cells, " | "))
	}
	line(header)
	rule := make([]string, len(header))
	for i := range rule {
		rule[i] = "---:"
	}
	rule[0] = ":---"
	fmt.Fprintf(bw, "|%s|\n", strings.Join(rule, "|"))
	for _, r := range rows {
		line(r)
	}
	fmt.Fprintln(bw)
	for _, n := range t.Footnotes {
		fmt.Fprintf(bw, "- %s\n", n)
	}
	return bw.Flush()
}

// WriteMarkdown writes the report of run as Markdown: title, table, footnotes, run
// metadata and warnings.
func WriteMarkdown(w io.Writer, run *experiments.Run, t *Table) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# tomebench report: %s\n\n", run.Plan.Name)
	if err := t.WriteMarkdownTable(bw); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n## Run\n\n")
	for _, f := range Metadata(run) {
		fmt.Fprintf(bw, "- %s: %s\n", f.Name, f.Value)
	}
	if ws := Warnings(run, t); len(ws) > 0 {
		fmt.Fprintf(bw, "\n## Warnings\n\n")
		for _, s := range ws {
			fmt.Fprintf(bw, "- %s\n", s)
		}
	}
	return bw.Flush()
}
