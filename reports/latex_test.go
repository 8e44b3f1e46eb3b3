package reports

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLaTeXCompiles \inputs report.tex of run1 into a document with booktabs and runs
// pdflatex on it, when pdflatex is installed (texlive-latex-base and
// texlive-latex-recommended).
func TestLaTeXCompiles(t *testing.T) {
	if _, err := exec.LookPath("pdflatex"); err != nil {
		t.Skip("pdflatex not installed: skipping the LaTeX compile check")
	}
	dir := t.TempDir()
	if _, err := Write(readRun(t, run1), dir, Options{GridImages: -1}); err != nil {
		t.Fatal(err)
	}
	doc := `\documentclass{article}
\usepackage[margin=1cm,landscape]{geometry}
\usepackage{booktabs}
\begin{document}
\begin{table}\centering\small
\input{report.tex}
\end{table}
\end{document}
`
	if err := os.WriteFile(filepath.Join(dir, "doc.tex"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, out)
	}
}
