package tome

import (
	"fmt"
	"math"
)

// Options are the settings of tomesd.apply_patch(model, ratio, max_downsample, sx,
// sy, use_rand, merge_attn, merge_crossattn, merge_mlp), with the same meanings and
// defaults (see [DefaultOptions]).
type Options struct {
	// Ratio is the fraction of a block's tokens to remove by merging: r = int(N*Ratio),
	// clamped to the number of src tokens. 0 leaves the model unchanged.
	Ratio float64
	// MaxDownsample merges only blocks whose token grid is at most this many times
	// smaller than the latent per side (1: only the full-resolution blocks).
	MaxDownsample int
	// SX and SY are the partition strides: one dst token per SY x SX cell.
	SX, SY int
	// UseRand picks the dst token of each cell at random (else the top-left one).
	// It is forced off for odd batches, as in tomesd.
	UseRand bool
	// MergeAttn, MergeCrossAttn and MergeMLP say around which layers of a
	// transformer block merge/unmerge are applied: self-attention (attn1),
	// cross-attention (attn2) and the feed-forward network (ff).
	MergeAttn, MergeCrossAttn, MergeMLP bool
}

// DefaultOptions returns tomesd's defaults: ratio 0.5, max_downsample 1, sx = sy = 2,
// use_rand on, merging around self-attention only.
func DefaultOptions() Options {
	return Options{
		Ratio:         0.5,
		MaxDownsample: 1,
		SX:            2,
		SY:            2,
		UseRand:       true,
		MergeAttn:     true,
	}
}

// Validate reports the first setting that tomesd could not run with: a ratio
// outside [0, 1] (or NaN), a max_downsample below 1, or a stride below 1.
func (o Options) Validate() error {
	switch {
	case math.IsNaN(o.Ratio) || o.Ratio < 0 || o.Ratio > 1:
		return fmt.Errorf("tome: ratio %v is outside [0, 1]", o.Ratio)
	case o.MaxDownsample < 1:
		return fmt.Errorf("tome: max_downsample %d is below 1", o.MaxDownsample)
	case o.SX < 1 || o.SY < 1:
		return fmt.Errorf("tome: strides sx=%d, sy=%d must be at least 1", o.SX, o.SY)
	}
	return nil
}

// UseRandFor reports whether the partition of a block call with batch size B is
// drawn at random: UseRand, except for odd batches (tomesd turns randomness off
// there, since the conditional and unconditional halves of a classifier-free
// guidance batch could not share a partition).
func (o Options) UseRandFor(B int) bool { return o.UseRand && B%2 == 0 }

// Downsample returns how many times smaller per side the token grid of a block with
// N tokens is than the H x W latent, computed exactly as tomesd.patch.compute_merge:
//
//	downsample = ceil(sqrt(H*W // N))   (integer division first)
//
// It is 0 when N > H*W. It panics when H, W or N is not positive.
func Downsample(H, W, N int) int {
	if H <= 0 || W <= 0 || N <= 0 {
		panic(fmt.Sprintf("tome: Downsample(%d, %d, %d): sizes must be positive", H, W, N))
	}
	return int(math.Ceil(math.Sqrt(float64(H * W / N))))
}

// Eligible reports whether a block with N tokens on an H x W latent is merged:
// 1 <= Downsample(H, W, N) <= MaxDownsample.
func (o Options) Eligible(H, W, N int) bool {
	ds := Downsample(H, W, N)
	return ds >= 1 && ds <= o.MaxDownsample
}

// TokenGrid returns the token grid h x w of a block that works at the given
// downsample of an H x W latent: h = ceil(H/ds), w = ceil(W/ds).
func TokenGrid(H, W, downsample int) (h, w int) {
	if downsample < 1 {
		panic(fmt.Sprintf("tome: TokenGrid: downsample %d is below 1", downsample))
	}
	return ceilDiv(H, downsample), ceilDiv(W, downsample)
}

// NumMerged returns r, the number of tokens merged away in a block with N tokens of
// which Ns are src: r = min(int(N*ratio), Ns), truncating like Python's int().
func NumMerged(N int, ratio float64, Ns int) int {
	return min(int(float64(N)*ratio), Ns)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// OptionsFromKwargs reads the keyword arguments of tomesd.apply_patch (ratio,
// max_downsample, sx, sy, use_rand, merge_attn, merge_crossattn, merge_mlp), as JSON
// decodes them (numbers as float64), over DefaultOptions — how the fixtures' manifests
// record each run. An unknown key or a value of the wrong type is an error.
func OptionsFromKwargs(kw map[string]any) (Options, error) {
	o := DefaultOptions()
	for k, v := range kw {
		var ok bool
		switch k {
		case "ratio":
			o.Ratio, ok = v.(float64)
		case "max_downsample", "sx", "sy":
			f, isNumber := v.(float64)
			ok = isNumber && f == math.Trunc(f)
			switch k {
			case "max_downsample":
				o.MaxDownsample = int(f)
			case "sx":
				o.SX = int(f)
			default:
				o.SY = int(f)
			}
		case "use_rand":
			o.UseRand, ok = v.(bool)
		case "merge_attn":
			o.MergeAttn, ok = v.(bool)
		case "merge_crossattn":
			o.MergeCrossAttn, ok = v.(bool)
		case "merge_mlp":
			o.MergeMLP, ok = v.(bool)
		default:
			return o, fmt.Errorf("tome: unknown apply_patch argument %q", k)
		}
		if !ok {
			return o, fmt.Errorf("tome: apply_patch argument %s: %v (%T) has the wrong type", k, v, v)
		}
	}
	return o, nil
}
