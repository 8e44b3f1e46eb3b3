package reports

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tomebench/tomebench/experiments"
)

// Missing is how a figure that is not available prints in the Markdown, LaTeX and HTML
// tables (the CSV leaves the cell empty).
const Missing = "—"

// A column of the printed table: its header and how a row's cell reads ("" when the
// figure is missing). Optional columns are left out when no row has the figure.
type column struct {
	key, head string
	optional  bool
	cell      func(r *Row) string
}

var allColumns = []column{
	{key: "method", head: "method", cell: func(r *Row) string { return r.Label }},
	{key: "ratio", head: "r%", cell: func(r *Row) string { return r.RatioText }},
	{key: "fid", head: "FID", cell: func(r *Row) string {
		if r.FID == nil {
			return ""
		}
		d := decimals(*r.FID) // 2, or 3 significant digits below 1
		s := format(*r.FID, d)
		if r.Interval != nil {
			s += " ± " + format(r.Interval.Std, d)
		}
		return s
	}},
	{key: "kid", head: "KID", optional: true, cell: func(r *Row) string {
		if r.KID == nil {
			return ""
		}
		return meanStd(r.KID.Mean, r.KID.Std)
	}},
	{key: "clip", head: "CLIP", optional: true, cell: func(r *Row) string {
		if r.CLIP == nil {
			return ""
		}
		return meanStd(r.CLIP.Score, r.CLIP.Std)
	}},
	{key: "s", head: "s/im", cell: func(r *Row) string { return stat(r.Seconds) }},
	{key: "speedup", head: "×faster", cell: func(r *Row) string { return ratio(r.Speedup) }},
	{key: "unet", head: "UNet s/im", optional: true, cell: func(r *Row) string { return stat(r.UNetSeconds) }},
	{key: "gb", head: "GB/im", cell: func(r *Row) string { return num(r.GBPerImage) }},
	{key: "less", head: "×less", cell: func(r *Row) string { return ratio(r.MemoryRatio) }},
	{key: "device", head: "device GB/im", optional: true, cell: func(r *Row) string { return num(r.DeviceGBPerImage) }},
	{key: "psnr", head: "PSNR", optional: true, cell: func(r *Row) string { return meanOf(r.PSNR) }},
	{key: "ssim", head: "SSIM", optional: true, cell: func(r *Row) string { return meanOf(r.SSIM) }},
	{key: "images", head: "images", cell: func(r *Row) string {
		if r.Expected > 0 && r.Images != r.Expected {
			return fmt.Sprintf("%d/%d", r.Images, r.Expected)
		}
		return strconv.Itoa(r.Images)
	}},
}

// columns returns the columns shown for t: every column some row has a figure for, and
// the paper's columns always.
func (t *Table) columns() []column {
	var cols []column
	for _, c := range allColumns {
		keep := !c.optional
		for i := 0; i < len(t.Rows) && !keep; i++ {
			keep = c.cell(&t.Rows[i]) != ""
		}
		if keep {
			cols = append(cols, c)
		}
	}
	return cols
}

// Cells returns the printed table: the header and one line of cells per row, with
// Missing for figures that are not available. Text uses Unicode (±, →, ×, ∞, —).
func (t *Table) Cells() (header []string, rows [][]string) {
	cols := t.columns()
	for _, c := range cols {
		header = append(header, c.head)
	}
	for i := range t.Rows {
		line := make([]string, len(cols))
		for j, c := range cols {
			if line[j] = c.cell(&t.Rows[i]); line[j] == "" {
				line[j] = Missing
			}
		}
		rows = append(rows, line)
	}
	return header, rows
}

// decimals returns the decimals that show v with 2 decimals from 1 up and 3
// significant digits below 1, down to 10⁻⁶ (below that, round-off: 2 decimals, 0.00).
func decimals(v float64) int {
	a := math.Abs(v)
	if a >= 1 || a < 1e-6 || math.IsNaN(a) || math.IsInf(a, 0) {
		return 2
	}
	return min(2-int(math.Floor(math.Log10(a))), 8)
}

func format(v float64, d int) string { return strconv.FormatFloat(v, 'f', d, 64) }

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return format(*v, decimals(*v))
}

func ratio(v *float64) string {
	if v == nil {
		return ""
	}
	return format(*v, 2)
}

func meanStd(mean, std float64) string {
	d := decimals(mean)
	return format(mean, d) + " ± " + format(std, d)
}

func stat(s *Stat) string {
	switch {
	case s == nil:
		return ""
	case s.N < 2: // no spread to show
		return format(s.Mean, decimals(s.Mean))
	}
	return meanStd(s.Mean, s.Std)
}

func meanOf(m *experiments.MeanStd) string {
	switch {
	case m == nil:
		return ""
	case m.N == 0 && m.Identical > 0:
		return "∞"
	}
	return format(m.Mean, decimals(m.Mean))
}
