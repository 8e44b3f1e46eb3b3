package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A Plot is one rendered figure of the report, as PNG and SVG.
type Plot struct {
	Name  string // file stem: fid_vs_time, fid_vs_memory, speedup_vs_ratio, fid_vs_ratio
	Title string
	PNG   []byte
	SVG   []byte
}

// A SkippedPlot is a plot left out because its data is missing.
type SkippedPlot struct {
	Name, Reason string
}

// Plot size: 6 x 4 inches (576 x 384 px in the PNG).
const plotWidth, plotHeight = 6 * vg.Inch, 4 * vg.Inch

var (
	colorAll   = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	colorFront = color.RGBA{R: 200, G: 30, B: 30, A: 255}
	colorTime  = color.RGBA{R: 30, G: 90, B: 200, A: 255}
	colorMem   = color.RGBA{R: 30, G: 150, B: 60, A: 255}
)

// Plots draws the report's figures from t:
//
//	fid_vs_time       FID against s/im, the Pareto front marked and connected
//	fid_vs_memory     FID against GB/im, the Pareto front marked and connected
//	speedup_vs_ratio  ×faster and ×less memory against r%
//	fid_vs_ratio      FID against r%, ± the subsample standard deviation when computed
//
// Only the baseline and constant-ratio ToMe variants go on the ratio axes. A plot
// whose data is missing (no FID, no baseline, fewer than two points) is skipped.
func Plots(t *Table) ([]Plot, []SkippedPlot, error) {
	var plots []Plot
	var skipped []SkippedPlot
	type maker struct {
		name, title string
		make        func(t *Table) (*plot.Plot, string)
	}
	for _, m := range []maker{
		{"fid_vs_time", "FID against time per image", func(t *Table) (*plot.Plot, string) {
			return tradeoff(t, "s/im (whole pipeline, seconds per image)", func(r *Row) (float64, bool) {
				if r.Seconds == nil {
					return 0, false
				}
				return r.Seconds.Mean, true
			})
		}},
		{"fid_vs_memory", "FID against memory per image", func(t *Table) (*plot.Plot, string) {
			return tradeoff(t, "GB/im (peak RSS / batch size, 10⁹ bytes)", func(r *Row) (float64, bool) {
				if r.GBPerImage == nil {
					return 0, false
				}
				return *r.GBPerImage, true
			})
		}},
		{"speedup_vs_ratio", "Speed-up and memory saving against the merge ratio", speedupPlot},
		{"fid_vs_ratio", "FID against the merge ratio", fidRatioPlot},
	} {
		p, why := m.make(t)
		if p == nil {
			skipped = append(skipped, SkippedPlot{m.name, why})
			continue
		}
		p.Title.Text = m.title
		out := Plot{Name: m.name, Title: m.title}
		for _, f := range []struct {
			format string
			dst    *[]byte
		}{{"png", &out.PNG}, {"svg", &out.SVG}} {
			wt, err := p.WriterTo(plotWidth, plotHeight, f.format)
			if err != nil {
				return nil, nil, fmt.Errorf("reports: plot %s: %w", m.name, err)
			}
			var buf bytes.Buffer
			if _, err := wt.WriteTo(&buf); err != nil {
				return nil, nil, fmt.Errorf("reports: plot %s: %w", m.name, err)
			}
			*f.dst = buf.Bytes()
		}
		plots = append(plots, out)
	}
	return plots, skipped, nil
}

// tradeoff plots FID against the cost x of every row having both, labels the points
// and marks and connects the Pareto front.
func tradeoff(t *Table, xlabel string, x func(r *Row) (float64, bool)) (*plot.Plot, string) {
	var pts []Point
	var labels []string
	for i := range t.Rows {
		r := &t.Rows[i]
		xv, ok := x(r)
		if !ok || r.FID == nil {
			continue
		}
		pts = append(pts, Point{xv, *r.FID})
		labels = append(labels, r.Label)
	}
	if len(pts) < 2 {
		return nil, fmt.Sprintf("needs FID and %s for at least two variants, found %d", xlabel, len(pts))
	}
	p := newPlot(xlabel, "FID")
	all := xys(pts)
	sc, _ := plotter.NewScatter(all)
	sc.GlyphStyle = draw.GlyphStyle{Color: colorAll, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	var front plotter.XYs
	for _, i := range ParetoFront(pts) {
		front = append(front, plotter.XY{X: pts[i].X, Y: pts[i].Y})
	}
	line, fsc, _ := plotter.NewLinePoints(front)
	line.Color = colorFront
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	fsc.GlyphStyle = draw.GlyphStyle{Color: colorFront, Radius: vg.Points(4), Shape: draw.RingGlyph{}}
	lb, _ := plotter.NewLabels(plotter.XYLabels{XYs: all, Labels: labels})
	lb.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(3)}
	p.Add(sc, line, fsc, lb)
	p.Legend.Add("variant", sc)
	p.Legend.Add("Pareto front", line, fsc)
	p.Legend.Top = true
	pad(p)
	return p, ""
}

// ratioRows returns the rows on the ratio axes, by ratio.
func ratioRows(t *Table) []*Row {
	var rows []*Row
	for i := range t.Rows {
		if t.Rows[i].OnRatioAxis {
			rows = append(rows, &t.Rows[i])
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Ratio < rows[j].Ratio })
	return rows
}

func speedupPlot(t *Table) (*plot.Plot, string) {
	var speed, mem plotter.XYs
	for _, r := range ratioRows(t) {
		if r.Speedup != nil {
			speed = append(speed, plotter.XY{X: 100 * r.Ratio, Y: *r.Speedup})
		}
		if r.MemoryRatio != nil {
			mem = append(mem, plotter.XY{X: 100 * r.Ratio, Y: *r.MemoryRatio})
		}
	}
	if len(speed) < 2 && len(mem) < 2 {
		return nil, "needs a baseline and at least one constant-ratio ToMe variant with times or memory"
	}
	p := newPlot("r% (ToMe merge ratio × 100)", "× baseline")
	for _, s := range []struct {
		name string
		xys  plotter.XYs
		c    color.Color
		g    draw.GlyphDrawer
	}{{"×faster (s/im)", speed, colorTime, draw.CircleGlyph{}}, {"×less memory (GB/im)", mem, colorMem, draw.SquareGlyph{}}} {
		if len(s.xys) < 2 {
			continue
		}
		l, sc, _ := plotter.NewLinePoints(s.xys)
		l.Color = s.c
		sc.GlyphStyle = draw.GlyphStyle{Color: s.c, Radius: vg.Points(3), Shape: s.g}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.25 // room for the legend
	return p, ""
}

// yErrors are points with vertical error bars (low, high relative to Y).
type yErrors struct {
	plotter.XYs
	plotter.YErrors
}

func fidRatioPlot(t *Table) (*plot.Plot, string) {
	var pts yErrors
	var labels []string
	bars := false
	for _, r := range ratioRows(t) {
		if r.FID == nil {
			continue
		}
		pts.XYs = append(pts.XYs, plotter.XY{X: 100 * r.Ratio, Y: *r.FID})
		var e float64
		if r.Interval != nil {
			e, bars = r.Interval.Std, true
		}
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{-e, e})
		labels = append(labels, r.Label)
	}
	if len(pts.XYs) < 2 {
		return nil, "needs FID for the baseline or constant-ratio ToMe variants, at least two"
	}
	p := newPlot("r% (ToMe merge ratio × 100)", "FID")
	l, sc, _ := plotter.NewLinePoints(pts.XYs)
	l.Color = colorTime
	sc.GlyphStyle = draw.GlyphStyle{Color: colorTime, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	p.Add(l, sc)
	p.Legend.Add("FID", l, sc)
	if bars {
		eb, err := plotter.NewYErrorBars(pts)
		if err == nil {
			eb.Color = colorTime
			p.Add(eb)
			p.Y.Label.Text = "FID (bars: ± std over subsamples)"
		}
	}
	lb, _ := plotter.NewLabels(plotter.XYLabels{XYs: pts.XYs, Labels: labels})
	lb.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(3)}
	p.Add(lb)
	p.Legend.Top = true
	pad(p)
	return p, ""
}

func newPlot(x, y string) *plot.Plot {
	p := plot.New()
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker = trimTicks{}
	p.Y.Tick.Marker = trimTicks{}
	return p
}

// pad widens the axes' ranges beyond the data: a quarter on the right for the
// points' labels and a third on top for the legend.
func pad(p *plot.Plot) {
	for _, a := range []struct {
		ax     *plot.Axis
		lo, hi float64
	}{{&p.X, 0.05, 0.25}, {&p.Y, 0.1, 0.35}} {
		span := a.ax.Max - a.ax.Min
		if span == 0 {
			span = max(abs(a.ax.Max)/10, 1)
		}
		a.ax.Min, a.ax.Max = a.ax.Min-a.lo*span, a.ax.Max+a.hi*span
	}
}

func abs(x float64) float64 { return max(x, -x) }

// trimTicks is plot.DefaultTicks with labels in the fewest digits ("25", not "25.00").
type trimTicks struct{}

func (trimTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if l := ticks[i].Label; strings.Contains(l, ".") && !strings.ContainsAny(l, "eE") {
			ticks[i].Label = strings.TrimSuffix(strings.TrimRight(l, "0"), ".")
		}
	}
	return ticks
}

func xys(pts []Point) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	for i, q := range pts {
		out[i] = plotter.XY{X: q.X, Y: q.Y}
	}
	return out
}
