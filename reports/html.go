package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/experiments"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// DefaultGridImages is how many prompts the HTML image grid shows by default.
const DefaultGridImages = 8

type htmlData struct {
	Title     string
	Header    []string
	Rows      []htmlRow
	Footnotes []string
	Plots     []htmlPlot
	Skipped   []SkippedPlot
	Warnings  []string
	Labels    []string
	Grid      []gridRow
	Meta      []Field
}

type htmlRow struct {
	Baseline bool
	Cells    []string
}

type htmlPlot struct {
	Name, Title string
	Src         template.HTMLAttr // src="data:..."
}

type gridRow struct {
	Index  int
	Seed   uint64
	Prompt string
	Cells  []gridCell
}

type gridCell struct {
	Src   template.HTMLAttr // src="data:..."; empty when the image is missing
	Alt   string
	Small bool // narrower than the cell: scale up without smoothing
}

// WriteHTML writes the report of run as one self-contained HTML file: the table, the
// plots (SVG data URIs), the warnings, image grids for the first gridImages prompt
// indices (PNG data URIs: the same prompt and seed across the variants) and the run's
// metadata. It refers to nothing outside itself. Images that are missing or whose
// SHA-256 differs from the record are noted as warnings.
func WriteHTML(w io.Writer, run *experiments.Run, t *Table, plots []Plot, skipped []SkippedPlot, gridImages int) error {
	d := htmlData{
		Title:     "tomebench report: " + run.Plan.Name,
		Footnotes: t.Footnotes,
		Skipped:   skipped,
		Warnings:  Warnings(run, t),
		Meta:      Metadata(run),
	}
	header, rows := t.Cells()
	d.Header = header
	for i, r := range rows {
		d.Rows = append(d.Rows, htmlRow{t.Rows[i].Baseline, r})
	}
	for _, p := range plots {
		d.Plots = append(d.Plots, htmlPlot{p.Name, p.Title, dataURI("image/svg+xml", p.SVG)})
	}
	grid, warnings := imageGrid(run, gridImages)
	d.Grid = grid
	d.Warnings = append(d.Warnings, warnings...)
	for _, v := range run.Plan.Variants {
		d.Labels = append(d.Labels, v.Label)
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// imageGrid reads the images of the first k prompt indices of every variant.
func imageGrid(run *experiments.Run, k int) ([]gridRow, []string) {
	type key struct {
		variant string
		index   int
	}
	recs := map[key]experiments.ImageRecord{}
	for _, im := range run.Images {
		recs[key{im.Variant, im.Index}] = im
	}
	plan := run.Plan
	var rows []gridRow
	var warnings []string
	for j := 0; j < min(k, len(plan.Prompts.Prompts)); j++ {
		row := gridRow{Index: j, Seed: plan.Generation.Seed + uint64(j), Prompt: plan.Prompts.Prompts[j]}
		for _, v := range plan.Variants {
			rec, ok := recs[key{v.ID, j}]
			if !ok {
				row.Cells = append(row.Cells, gridCell{Alt: "not generated"})
				continue
			}
			row.Seed, row.Prompt = rec.Seed, rec.Prompt
			data, err := os.ReadFile(filepath.Join(run.Dir, filepath.FromSlash(rec.File)))
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s image %d: %v", v.Label, j, err))
				row.Cells = append(row.Cells, gridCell{Alt: "missing file"})
				continue
			}
			if sum := sha256.Sum256(data); rec.SHA256 != "" && hex.EncodeToString(sum[:]) != rec.SHA256 {
				warnings = append(warnings, fmt.Sprintf("%s image %d: %s differs from its record (SHA-256)", v.Label, j, rec.File))
			}
			cell := gridCell{Src: dataURI("image/png", data), Alt: fmt.Sprintf("%s #%d", v.Label, j)}
			if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err == nil {
				cell.Small = cfg.Width < 192
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	return rows, warnings
}

// dataURI returns the attribute src="data:MIME;base64,...". It is an HTMLAttr, not a
// template.URL, so that html/template does not escape every + of the base64 text.
func dataURI(mime string, data []byte) template.HTMLAttr {
	return template.HTMLAttr(`src="data:` + mime + ";base64," + base64.StdEncoding.EncodeToString(data) + `"`)
}
