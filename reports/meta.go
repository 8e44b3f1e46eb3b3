package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tomebench/tomebench/experiments"
)

// A Field is one line of run metadata: a name and its value.
type Field struct{ Name, Value string }

// Metadata describes what a run did and where: plan, model, generation settings, FID
// settings and each shard's environment.
func Metadata(run *experiments.Run) []Field {
	p := run.Plan
	var f []Field
	add := func(name, format string, a ...any) { f = append(f, Field{name, fmt.Sprintf(format, a...)}) }

	add("plan", "%s (config %s, %d variants, format %s)", p.Name, orNone(p.ConfigFile), len(p.Variants), p.Format)
	attention := "plain attention"
	if p.Model.Attention != "" {
		attention = p.Model.Attention + " attention"
	}
	add("model", "%s, identity %s, %s, %s", p.Model.Path, orNone(p.Model.Identity), p.Model.Precision, attention)
	add("execution", "provider %s, %s", p.Model.Provider, threadsText(p.Model.Threads))
	g := p.Generation
	add("generation", "%d×%d, %d steps of %s, guidance %g, batch size %d, seed %d (image j: seed %d+j)",
		g.Width, g.Height, g.Steps, g.Scheduler, g.Guidance, g.BatchSize, g.Seed, g.Seed)
	prompts := fmt.Sprintf("%d from %s", len(p.Prompts.Prompts), p.Prompts.Source)
	if p.Prompts.Template != "" {
		prompts += fmt.Sprintf(" (%q, %d per class, %d classes)", p.Prompts.Template, p.Prompts.PerClass, p.Prompts.Classes)
	}
	add("prompts", "%s", prompts)
	if p.FID != nil {
		s := fmt.Sprintf("reference %s, weights %s, %d dims, %s method", p.FID.Reference, orNone(p.FID.Weights), p.FID.Dims, p.FID.Method)
		if p.FID.KID {
			s += ", KID"
		}
		if p.FID.Interval > 0 {
			s += fmt.Sprintf(", interval over %s of %s", plural(p.FID.Reps, "subsample"), plural(p.FID.Interval, "image"))
		}
		add("FID", "%s", s)
	}
	if m := run.Metrics; m != nil {
		add("metrics", "reference %s (%s, %d images, hash %s), weights %s", m.Reference.Path, m.Reference.Kind, m.Reference.Images, orNone(m.Reference.Hash), orNone(m.Weights))
	}
	for _, e := range run.Envs {
		s := fmt.Sprintf("%s: %s, %d cores, %.1f GiB, %s", e.Hostname, e.CPU, e.Cores, float64(e.MemoryBytes)/(1<<30), e.OS)
		if e.GPU != "" {
			s += ", GPU " + e.GPU
		}
		s += fmt.Sprintf("; provider %s, %s, ONNX Runtime %s", e.Provider, threadsText(e.Threads), e.ORTVersion)
		if e.Session != "" {
			s += " (" + e.Session + ")"
		}
		s += fmt.Sprintf(", %s, tomebench %s", e.GoVersion, orNone(e.Commit))
		s += fmt.Sprintf("; %s to %s", e.Started, orNone(e.Finished))
		add("environment", "%s", s)
	}
	return f
}

// threadsText names an intra-op thread count; 0 is ONNX Runtime's default.
func threadsText(n int) string {
	if n > 0 {
		return fmt.Sprintf("%d threads", n)
	}
	return "ONNX Runtime's default threads"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Warnings lists what a reader of the table should know: the plan's and sessions'
// warnings, metric warnings, missing images, cut or repeated records.
func Warnings(run *experiments.Run, t *Table) []string {
	var w []string
	label := map[string]string{}
	for _, v := range run.Plan.Variants {
		label[v.ID] = v.Label
		for _, s := range v.Warnings {
			w = append(w, fmt.Sprintf("%s: %s", v.Label, s))
		}
	}
	seen := map[string]bool{}
	for _, s := range run.Sessions {
		for _, msg := range s.Warnings {
			m := fmt.Sprintf("%s (session): %s", nameOf(label, s.Variant), msg)
			if !seen[m] {
				seen[m] = true
				w = append(w, m)
			}
		}
	}
	for _, r := range t.Rows {
		if r.Images < r.Expected {
			w = append(w, fmt.Sprintf("%s: %d of %d images recorded", r.Label, r.Images, r.Expected))
		}
	}
	var unknown []string
	for _, im := range run.Images {
		if _, ok := label[im.Variant]; !ok && !slices.Contains(unknown, im.Variant) {
			unknown = append(unknown, im.Variant)
		}
	}
	if len(unknown) > 0 {
		w = append(w, fmt.Sprintf("image records of variants not in the plan, left out: %s", strings.Join(unknown, ", ")))
	}
	if m := run.Metrics; m != nil {
		for _, s := range m.Warnings {
			w = append(w, "metrics: "+s)
		}
		for _, v := range m.Variants {
			for _, s := range v.Warnings {
				w = append(w, fmt.Sprintf("metrics of %s: %s", nameOf(label, v.Variant), s))
			}
		}
	} else if run.Plan.FID != nil {
		w = append(w, "no metrics.json: FID was asked for but not computed yet")
	}
	for _, f := range run.Truncated {
		w = append(w, f+": the last line was cut short (a write killed mid-way) and is left out")
	}
	if run.Duplicates > 0 {
		w = append(w, fmt.Sprintf("%d image records repeat an earlier (variant, index); the last of each is used", run.Duplicates))
	}
	return w
}

func nameOf(label map[string]string, id string) string {
	if l, ok := label[id]; ok {
		return l
	}
	return id
}
