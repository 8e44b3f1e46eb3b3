package reports

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tomebench/tomebench/experiments"
)

// A Table is the paper's table of a run: one Row per variant of the plan, in plan order.
type Table struct {
	Rows     []Row
	Baseline int // index of the baseline's row, -1 if the plan names none
	// Footnotes say exactly what each column counts, in column order.
	Footnotes []string
}

// A Row holds one variant's figures. Pointers are nil, and print as "—", when the figure
// is not available (no images, no metrics, no baseline, ...); nothing missing is 0.
type Row struct {
	ID, Label, Method string
	Baseline          bool

	// Ratio is ToMe's merge ratio r (a fraction): the constant ratio, or a schedule's
	// first ratio; 0 for the baseline (method none). RatioText is it as a percentage
	// ("30", a schedule "60→40", "" when it has none).
	Ratio     float64
	RatioText string
	// OnRatioAxis is true for the baseline and constant-ratio ToMe variants: the rows
	// that plots against the ratio show.
	OnRatioAxis bool
	Schedule    *experiments.Schedule

	FID      *float64
	Interval *experiments.Interval // spread of FID over subsamples
	KID      *experiments.KIDValue

	Seconds     *Stat    // s/im: whole-pipeline wall time per image over the variant's images
	UNetSeconds *Stat    // UNet calls' wall time per image
	Speedup     *float64 // baseline s/im / s/im

	GBPerImage       *float64 // max peak RSS over sessions / batch size, in 1e9 bytes
	MemoryRatio      *float64 // baseline GB/im / GB/im ("×less")
	DeviceGBPerImage *float64 // max device arena peak / batch size (CUDA), in 1e9 bytes

	PSNR, SSIM *experiments.MeanStd   // to the baseline's images
	CLIP       *experiments.CLIPValue // CLIP score against the prompts

	Images   int // images recorded
	Expected int // prompts in the plan
}

// NewTable computes the table of run from its records.
func NewTable(run *experiments.Run) *Table {
	t := &Table{Baseline: -1}
	plan := run.Plan
	for _, v := range plan.Variants {
		row := Row{ID: v.ID, Label: v.Label, Method: v.Method, Baseline: v.ID == plan.Baseline,
			Schedule: v.Schedule, Expected: len(plan.Prompts.Prompts)}
		switch {
		case v.Method == "tome" && v.Schedule != nil:
			row.Ratio = v.Schedule.From
			row.RatioText = percent(v.Schedule.From) + "→" + percent(v.Schedule.To)
		case v.ToMe != nil:
			row.Ratio = v.ToMe.Ratio
			row.RatioText = percent(v.ToMe.Ratio)
			row.OnRatioAxis = v.Method == "tome"
		case v.Method == "none":
			row.RatioText = "0"
		}
		if row.Baseline {
			row.OnRatioAxis = true
			t.Baseline = len(t.Rows)
		}

		var secs, unet []float64
		for _, im := range run.VariantImages(v.ID) {
			secs = append(secs, im.Seconds)
			unet = append(unet, im.UNetSeconds)
		}
		row.Images = len(secs)
		row.Seconds, row.UNetSeconds = newStat(secs), newStat(unet)

		var peak, device float64
		for _, s := range run.VariantSessions(v.ID) {
			b := s.BatchSize
			if b <= 0 {
				b = max(plan.Generation.BatchSize, 1)
			}
			peak = max(peak, float64(s.PeakRSSBytes)/float64(b)/1e9)
			device = max(device, float64(s.DevicePeakBytes)/float64(b)/1e9)
		}
		if peak > 0 {
			row.GBPerImage = ptr(peak)
		}
		if device > 0 {
			row.DeviceGBPerImage = ptr(device)
		}

		if m := run.VariantMetric(v.ID); m != nil {
			row.FID, row.Interval, row.KID, row.PSNR, row.SSIM, row.CLIP = m.FID, m.Interval, m.KID, m.PSNR, m.SSIM, m.CLIP
		}
		t.Rows = append(t.Rows, row)
	}
	if t.Baseline >= 0 {
		base := t.Rows[t.Baseline]
		for i := range t.Rows {
			r := &t.Rows[i]
			if base.Seconds != nil && r.Seconds != nil && r.Seconds.Mean > 0 {
				r.Speedup = ptr(base.Seconds.Mean / r.Seconds.Mean)
			}
			if base.GBPerImage != nil && r.GBPerImage != nil {
				r.MemoryRatio = ptr(*base.GBPerImage / *r.GBPerImage)
			}
		}
	}
	t.Footnotes = footnotes(run, t)
	return t
}

// percent formats the fraction r as a percentage without float noise: 0.3 -> "30".
func percent(r float64) string {
	return strconv.FormatFloat(math.Round(r*100*1e6)/1e6, 'f', -1, 64)
}

// footnotes says what each shown column counts.
func footnotes(run *experiments.Run, t *Table) []string {
	plan := run.Plan
	var notes []string
	for _, c := range t.columns() {
		var n string
		switch c.key {
		case "ratio":
			n = "r%: ToMe merge ratio × 100 (tomesd's ratio: the share of a block's tokens merged); a ratio schedule over the steps shows first→last; the baseline (method none) is 0."
		case "fid":
			n = "FID: Fréchet Inception distance"
			if m := run.Metrics; m != nil {
				ref := m.Reference.Path
				if m.Reference.Images > 0 {
					ref += fmt.Sprintf(", %d images", m.Reference.Images)
				}
				n += fmt.Sprintf(" to %s (%s), %d-d features, %s method", ref, m.Reference.Kind, m.Dims, m.Method)
			}
			n += ", over all the variant's images; ± is the standard deviation of FID over random subsamples"
			if iv := firstInterval(t); iv != nil {
				n += fmt.Sprintf(" (%s of %s)", plural(iv.Reps, "subsample"), plural(iv.Size, "image"))
			}
			n += ", when computed."
		case "clip":
			n = "CLIP: CLIP score (torchmetrics: 100·cos(image, prompt), mean over the variant's images, clamped at 0), ± the standard deviation over images"
			if m := run.Plan.CLIP; m != nil {
				n += ", model " + m.Model
			}
			n += "."
		case "kid":
			n = "KID: kernel Inception distance, mean ± standard deviation over subsets of the features."
		case "s":
			n = "s/im: whole pipeline (text encoder + UNet loop + VAE decoder) wall time per image: each batch's wall time / images in the batch, averaged over the variant's images; ± is the standard deviation over images. Opening and patching the models and the warm-up generation are excluded."
		case "speedup":
			n = "×faster: the baseline's s/im / the variant's s/im."
		case "unet":
			n = "UNet s/im: wall time of the UNet calls (all steps, both guidance halves) per image, averaged like s/im."
		case "gb":
			n = fmt.Sprintf("GB/im: peak resident memory (RSS, host memory) of the child process that ran the variant, the largest over its sessions, / batch size (%d), in 10⁹ bytes; it includes the model weights.", plan.Generation.BatchSize)
		case "less":
			n = "×less: the baseline's GB/im / the variant's GB/im."
		case "device":
			n = "device GB/im: GPU memory held by the process that ran the variant after its last batch (NVML per-process usage; ONNX Runtime's CUDA arena keeps its high-water mark, plus the CUDA context) / batch size, in 10⁹ bytes, where recorded (CUDA)."
		case "psnr":
			n = "PSNR (dB) and SSIM: to the baseline's image of the same prompt and seed, mean over the variant's images (∞: all identical)."
		case "images":
			n = "images: images recorded; n/N when fewer than the plan's N prompts."
		}
		if n != "" {
			notes = append(notes, n)
		}
	}
	return append(notes, "—: not available (not measured or not computed).")
}

func firstInterval(t *Table) *experiments.Interval {
	for _, r := range t.Rows {
		if r.Interval != nil {
			return r.Interval
		}
	}
	return nil
}

// plural writes n thing, with an s unless n is 1.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
