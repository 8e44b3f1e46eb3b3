// Command tomebench applies Token Merging (ToMe for Stable Diffusion) to Stable
// Diffusion models on ONNX Runtime and measures what it buys: FID, seconds per image and
// memory per image.
//
// Usage:
//
//	tomebench <command> [arguments]
//
// Run `tomebench help` for the commands and `tomebench <command> --help` for each one's
// flags. The command is a thin layer: each subcommand parses flags and calls into the
// packages that do the work.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Stdout, os.Stderr, os.Args[1:]))
}
