package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/reports"
	"github.com/tomebench/tomebench/runner"
)

// printPlan prints a plan's variants and their work, with estimates when calibrated.
func printPlan(e *env, cfg *experiments.Config, plan *experiments.Plan, modelDir string, est map[string]runner.Estimate) error {
	g := plan.Generation
	n := len(plan.Prompts.Prompts)
	timesteps := g.Steps
	if g.Scheduler == "pndm" {
		timesteps++ // PLMS repeats one timestep
	}
	precision := plan.Model.Precision
	if plan.Model.Attention != "" {
		precision += ", " + plan.Model.Attention + " attention"
	}
	fmt.Fprintf(e.stdout, "plan %s: model %s (%s, %s, %s)\n", plan.Name, plan.Model.Path, modelDir, precision, plan.Model.Provider)
	fmt.Fprintf(e.stdout, "%dx%d, %d %s steps (%d UNet calls per batch), guidance %g, batch %d, seed %d\n",
		g.Width, g.Height, g.Steps, g.Scheduler, timesteps, g.Guidance, g.BatchSize, g.Seed)
	fmt.Fprintf(e.stdout, "prompts: %d from %s; output folder %s\n\n", n, plan.Prompts.Source, cfg.Out)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	head := "ID\tVARIANT\tIMAGES\tUNET CALLS"
	if est != nil {
		head += "\tPREPARE\tS/IM (EST.)\tTOTAL (EST.)"
	}
	fmt.Fprintln(tw, head)
	var total float64
	for _, v := range plan.Variants {
		line := fmt.Sprintf("%s\t%s\t%d\t%d", v.ID, v.Label, n, runner.UNetCalls(plan, timesteps))
		if x, ok := est[v.ID]; ok {
			line += fmt.Sprintf("\t%.1f s\t%.2f s\t%s", x.PrepareSeconds, x.Seconds/float64(n), fmtDuration(x.Seconds))
			total += x.Seconds + x.PrepareSeconds
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%d variants, %d images, %d UNet calls", len(plan.Variants), n*len(plan.Variants), len(plan.Variants)*runner.UNetCalls(plan, timesteps))
	if est != nil {
		fmt.Fprintf(e.stdout, ", about %s on this machine (one short sample per variant; FID not included)", fmtDuration(total))
	}
	fmt.Fprintln(e.stdout)
	if plan.Baseline == "" {
		fmt.Fprintln(e.stdout, "no baseline variant: no PSNR/SSIM and no speed-ups")
	}
	for _, v := range plan.Variants {
		for _, w := range v.Warnings {
			fmt.Fprintf(e.stdout, "warning: %s: %s\n", v.Label, w)
		}
		if x, ok := est[v.ID]; ok {
			if v.Method != "none" {
				fmt.Fprintf(e.stdout, "%s: %d of %d transformer blocks patched\n", v.Label, x.PatchedBlocks, x.Blocks)
			}
			for _, w := range x.Warnings {
				fmt.Fprintf(e.stdout, "warning: %s: %s\n", v.Label, w)
			}
		}
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	return nil
}

func fmtDuration(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 7200:
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

// writeReport writes the run folder's report (tables, plots, report.html) and prints
// the table.
func writeReport(e *env, dir string) error {
	run, err := experiments.ReadRun(dir)
	if err != nil {
		return err
	}
	files, err := reports.Write(run, dir, reports.Options{})
	if err != nil {
		return err
	}
	if err := reports.NewTable(run).WriteMarkdownTable(e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "report: %s (also %s, %s, %s and %d plots)\n", files.HTML, files.Markdown, files.CSV, files.LaTeX, len(files.Plots))
	return nil
}
