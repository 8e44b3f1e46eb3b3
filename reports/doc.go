// Package reports turns a run folder's records into the paper's table, Pareto plots and
// a self-contained HTML report. It reads records only (experiments.ReadRun): no model,
// no device, so a report can be rebuilt anywhere from a copied run folder.
//
// The steps:
//
//  1. NewTable: one Row per variant in plan order, each figure computed from the
//     records as its footnote says (Footnotes): s/im is the mean whole-pipeline wall
//     time per image, GB/im the child process's peak resident memory per image of a
//     batch, FID/KID/PSNR/SSIM come from metrics.json as computed. A figure that is
//     not available is missing, never zero: it prints as "—" (an empty CSV cell).
//  2. Writers for the table: Markdown (WriteMarkdown), CSV with full precision
//     (WriteCSV) and a LaTeX booktabs tabular fragment (WriteLaTeX).
//  3. ParetoFront and the plots (Plots): FID against s/im and GB/im with the front
//     marked, speed-up and memory saving against the merge ratio, FID against the
//     ratio. A plot whose data is missing is skipped with a note, not an error.
//  4. WriteHTML: one file with everything inline (plots as SVG data URIs, images as
//     PNG data URIs) plus image grids: the same prompt and seed across all variants.
//  5. Write puts report.md, report.csv, report.tex, report.html and plots/*.png|svg
//     into a folder, each file whole: all are written to a temporary folder first and
//     renamed into place only when every one succeeded.
package reports
