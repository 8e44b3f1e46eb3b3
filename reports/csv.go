package reports

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"github.com/tomebench/tomebench/experiments"
)

// CSVHeader names the columns of WriteCSV. Ratios are fractions (ratio 0.3 is r% 30);
// seconds per image, 10⁹ bytes per image; psnr is "inf" when every image is identical
// to the baseline's.
var CSVHeader = []string{
	"variant", "label", "method", "baseline", "ratio", "ratio_to", "schedule",
	"fid", "fid_std", "fid_lo", "fid_hi", "fid_level", "fid_subsample_mean", "fid_subsample_size", "fid_subsample_reps",
	"kid", "kid_std",
	"s_per_image", "s_per_image_std", "speedup", "unet_s_per_image", "unet_s_per_image_std",
	"gb_per_image", "memory_ratio", "device_gb_per_image",
	"psnr", "psnr_std", "psnr_identical", "ssim", "ssim_std",
	"images", "expected_images",
	"clip_score", "clip_std",
}

// WriteCSV writes t as CSV for machines: a header row (CSVHeader), one row per
// variant, numbers in full precision and an empty cell for a missing figure.
func WriteCSV(w io.Writer, t *Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := []string{r.ID, r.Label, r.Method, strconv.FormatBool(r.Baseline)}
		switch {
		case r.Schedule != nil:
			rec = append(rec, full(r.Schedule.From), full(r.Schedule.To), r.Schedule.Kind)
		case r.RatioText != "":
			rec = append(rec, full(r.Ratio), "", "")
		default:
			rec = append(rec, "", "", "")
		}
		rec = append(rec, opt(r.FID))
		if iv := r.Interval; iv != nil {
			rec = append(rec, full(iv.Std), full(iv.Lo), full(iv.Hi), full(iv.Level), full(iv.Mean), strconv.Itoa(iv.Size), strconv.Itoa(iv.Reps))
		} else {
			rec = append(rec, "", "", "", "", "", "", "")
		}
		if r.KID != nil {
			rec = append(rec, full(r.KID.Mean), full(r.KID.Std))
		} else {
			rec = append(rec, "", "")
		}
		rec = append(rec, statCells(r.Seconds)[0], statCells(r.Seconds)[1], opt(r.Speedup))
		rec = append(rec, statCells(r.UNetSeconds)...)
		rec = append(rec, opt(r.GBPerImage), opt(r.MemoryRatio), opt(r.DeviceGBPerImage))
		rec = append(rec, meanStdCells(r.PSNR, true)...)
		rec = append(rec, meanStdCells(r.SSIM, false)...)
		rec = append(rec, strconv.Itoa(r.Images), strconv.Itoa(r.Expected))
		if c := r.CLIP; c != nil {
			rec = append(rec, full(c.Score), full(c.Std))
		} else {
			rec = append(rec, "", "")
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// full formats v with the fewest digits that read back as v.
func full(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func opt(v *float64) string {
	if v == nil {
		return ""
	}
	return full(*v)
}

func statCells(s *Stat) []string {
	switch {
	case s == nil:
		return []string{"", ""}
	case s.N < 2:
		return []string{full(s.Mean), ""}
	}
	return []string{full(s.Mean), full(s.Std)}
}

// meanStdCells gives mean, std (and, with identical, the count of identical images);
// a mean over no images but identical ones is +Inf.
func meanStdCells(m *experiments.MeanStd, identical bool) []string {
	var c []string
	switch {
	case m == nil:
		c = []string{"", ""}
	case m.N == 0 && m.Identical > 0:
		c = []string{full(math.Inf(1)), ""}
	default:
		c = []string{full(m.Mean), full(m.Std)}
	}
	if identical {
		if m == nil {
			c = append(c, "")
		} else {
			c = append(c, strconv.Itoa(m.Identical))
		}
	}
	return c
}
