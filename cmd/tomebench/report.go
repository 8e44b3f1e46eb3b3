package main

import (
	"flag"
	"fmt"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/reports"
)

var reportCommand = &command{
	name: "report",
	args: "RUN_DIR",
	summary: "Write the table (report.md, report.csv, report.tex), Pareto plots (plots/*.png|svg) and a\n" +
		"self-contained report.html of a run folder, from its records alone (no model, no device).\n" +
		"Prints the Markdown table to stdout and the files written to stderr.",
	run: runReport,
}

func runReport(e *env, fs *flag.FlagSet, args []string) error {
	out := fs.String("out", "", "write the report into `DIR` (default: RUN_DIR)")
	images := fs.Int("images", reports.DefaultGridImages, "show the first `K` prompts in the HTML image grid (0: none)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one RUN_DIR, got %d arguments", len(pos))
	}
	if *images < 0 {
		return usagef("--images %d: want K >= 0", *images)
	}
	run, err := experiments.ReadRun(pos[0])
	if err != nil {
		return err
	}
	k := *images
	if k == 0 {
		k = -1 // reports.Options: negative means none
	}
	files, err := reports.Write(run, *out, reports.Options{GridImages: k})
	if err != nil {
		return err
	}
	if err := reports.NewTable(run).WriteMarkdownTable(e.stdout); err != nil {
		return err
	}
	for _, p := range files.All() {
		fmt.Fprintln(e.stderr, "wrote", p)
	}
	for _, s := range files.Skipped {
		fmt.Fprintf(e.stderr, "skipped plot %s: %s\n", s.Name, s.Reason)
	}
	return nil
}
