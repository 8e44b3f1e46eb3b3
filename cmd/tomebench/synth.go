package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/tomebench/tomebench/sd/models"
)

var synthCommand = &command{
	name: "synth",
	args: "--arch ARCH --out DIR",
	summary: "Write a diffusers pipeline folder with seeded random weights (tiny, sd15, sd2, tiny-sdxl or sdxl architecture).\n" +
		"The folder has tokenizer and scheduler files, so that convert, patch and generate work\n" +
		"without any download. Prints each component's parameter count.",
	run: runSynth,
}

func runSynth(e *env, fs *flag.FlagSet, args []string) error {
	arch := fs.String("arch", "", "architecture: "+strings.Join(models.ArchNames(), ", "))
	out := fs.String("out", "", "output `folder` (must not exist or be empty)")
	seed := fs.Uint64("seed", 0, "random seed; the same seed writes the same weights")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if _, err := models.LookupArch(*arch); err != nil {
		return usagef("--arch: want one of %s, got %q", strings.Join(models.ArchNames(), ", "), *arch)
	}
	res, err := models.Synth(*out, models.SynthOptions{Arch: *arch, Seed: *seed, Log: e.stderr})
	if err != nil {
		return err
	}
	for _, c := range []string{"unet", "text_encoder", "text_encoder_2", "vae"} {
		if n, ok := res.Params[c]; ok { // text_encoder_2: SDXL only
			fmt.Fprintf(e.stdout, "%-12s %d parameters\n", c, n)
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s, seed %d, %.1f MB)\n", res.Dir, res.Arch.Name, *seed, float64(res.Bytes)/1e6)
	return nil
}
