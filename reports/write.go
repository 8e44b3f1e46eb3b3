package reports

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/experiments"
)

// Options tune Write.
type Options struct {
	// GridImages is how many prompt indices the HTML image grid shows: 0 means
	// DefaultGridImages, a negative number none.
	GridImages int
}

// Files are the paths Write wrote.
type Files struct {
	Markdown, CSV, LaTeX, HTML string
	Plots                      []string      // plots/<name>.png and .svg
	Skipped                    []SkippedPlot // plots left out for want of data
}

// All lists every file written.
func (f *Files) All() []string {
	return append([]string{f.Markdown, f.CSV, f.LaTeX, f.HTML}, f.Plots...)
}

// Write writes the report of run into outDir (run.Dir when empty): report.md,
// report.csv, report.tex, report.html and plots/<name>.png|svg. Every file is written
// into a temporary folder inside outDir first and moved into place only once all of
// them are complete; on error the temporary files are removed and nothing in outDir
// changes. Plot files of plots skipped this time are removed, so that no stale figure
// is left beside the new report.
func Write(run *experiments.Run, outDir string, opts Options) (*Files, error) {
	if outDir == "" {
		outDir = run.Dir
	}
	k := opts.GridImages
	switch {
	case k == 0:
		k = DefaultGridImages
	case k < 0:
		k = 0
	}

	t := NewTable(run)
	plots, skipped, err := Plots(t)
	if err != nil {
		return nil, err
	}
	contents := map[string][]byte{} // path relative to outDir -> bytes
	var order []string
	put := func(name string, data []byte) {
		contents[name] = data
		order = append(order, name)
	}
	var md, csv, tex, html bytes.Buffer
	if err := WriteMarkdown(&md, run, t); err != nil {
		return nil, err
	}
	if err := WriteCSV(&csv, t); err != nil {
		return nil, err
	}
	if err := WriteLaTeX(&tex, run, t); err != nil {
		return nil, err
	}
	if err := WriteHTML(&html, run, t, plots, skipped, k); err != nil {
		return nil, err
	}
	files := &Files{Skipped: skipped}
	for _, p := range plots {
		for _, f := range []struct {
			ext  string
			data []byte
		}{{".png", p.PNG}, {".svg", p.SVG}} {
			name := filepath.Join("plots", p.Name+f.ext)
			put(name, f.data)
			files.Plots = append(files.Plots, filepath.Join(outDir, name))
		}
	}
	put("report.md", md.Bytes())
	put("report.csv", csv.Bytes())
	put("report.tex", tex.Bytes())
	put("report.html", html.Bytes())
	files.Markdown = filepath.Join(outDir, "report.md")
	files.CSV = filepath.Join(outDir, "report.csv")
	files.LaTeX = filepath.Join(outDir, "report.tex")
	files.HTML = filepath.Join(outDir, "report.html")

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	tmp, err := os.MkdirTemp(outDir, ".report-")
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range order {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("reports: %w", err)
		}
		if err := writeSynced(p, contents[name]); err != nil {
			return nil, fmt.Errorf("reports: %w", err)
		}
	}
	if len(plots) > 0 {
		if err := os.MkdirAll(filepath.Join(outDir, "plots"), 0o755); err != nil {
			return nil, fmt.Errorf("reports: %w", err)
		}
	}
	for _, name := range order {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(outDir, name)); err != nil {
			return nil, fmt.Errorf("reports: %w", err)
		}
	}
	for _, s := range skipped {
		for _, ext := range []string{".png", ".svg"} {
			if err := os.Remove(filepath.Join(outDir, "plots", s.Name+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("reports: %w", err)
			}
		}
	}
	return files, nil
}

// writeSynced writes data to the new file path and syncs it to disk.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
