package main

import (
	"flag"

	"github.com/tomebench/tomebench/tome"
)

// tomeFlags are the flags of tomesd.apply_patch(model, ratio, max_downsample, sx, sy,
// use_rand, merge_attn, merge_crossattn, merge_mlp), shared by patch, inspect and
// generate so that one setting reads the same on every command line.
type tomeFlags struct {
	ratio                 float64
	maxDownsample, sx, sy int
	noRand                bool
	attn, crossAttn, mlp  bool
}

// register defines the flags on fs with tomesd's defaults, except --ratio, whose default
// each command chooses: patch and inspect take tomesd's 0.5 (asking to patch a model
// means asking for ToMe as apply_patch applies it), generate takes 0 (ToMe is opt-in:
// plain generation runs the unpatched model). why, a sentence, says so in the flag's help.
func (f *tomeFlags) register(fs *flag.FlagSet, defaultRatio float64, why string) {
	d := tome.DefaultOptions()
	fs.Float64Var(&f.ratio, "ratio", defaultRatio, "ToMe: fraction of each merged block's tokens to merge away, in [0, 1]; 0 leaves the model unchanged. "+why)
	fs.IntVar(&f.maxDownsample, "max-downsample", d.MaxDownsample, "ToMe: merge only in blocks at most this many times smaller than the latent per side")
	fs.IntVar(&f.sx, "sx", d.SX, "ToMe: partition stride along width: one dst token per sy×sx cell")
	fs.IntVar(&f.sy, "sy", d.SY, "ToMe: partition stride along height")
	fs.BoolVar(&f.noRand, "no-rand", !d.UseRand, "ToMe: take each cell's top-left token as dst (no tome_rand_idx inputs)")
	fs.BoolVar(&f.attn, "merge-attn", d.MergeAttn, "ToMe: merge around self-attention (attn1)")
	fs.BoolVar(&f.crossAttn, "merge-crossattn", d.MergeCrossAttn, "ToMe: merge around cross-attention (attn2)")
	fs.BoolVar(&f.mlp, "merge-mlp", d.MergeMLP, "ToMe: merge around the feed-forward layer (ff)")
}

// options returns the parsed flags as tome.Options, or a usage error naming the first
// setting tomesd could not run with (checked even at ratio 0: a bad flag is a bad
// command line whether or not it takes effect).
func (f *tomeFlags) options() (tome.Options, error) {
	o := tome.Options{Ratio: f.ratio, MaxDownsample: f.maxDownsample, SX: f.sx, SY: f.sy,
		UseRand: !f.noRand, MergeAttn: f.attn, MergeCrossAttn: f.crossAttn, MergeMLP: f.mlp}
	if err := o.Validate(); err != nil {
		return o, usagef("%v", err)
	}
	return o, nil
}
