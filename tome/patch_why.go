package tome

import (
	"fmt"
	"slices"
	"strings"
)

// noPatchWarning says why Patch left a model unchanged. The common case is an SDXL
// UNet under the default max_downsample 1: SDXL has no transformer blocks at full
// latent resolution (its levels with attention sit at downsample 2 and 4), so tomesd
// silently merges nothing there (tomesd issue #50); the warning names the levels found
// and the smallest max_downsample that would patch something.
func noPatchWarning(opts Options, blocks []BlockReport) error {
	head := fmt.Sprintf("tome: no block patched (ratio %g, max_downsample %d): the model is unchanged", opts.Ratio, opts.MaxDownsample)
	if len(blocks) == 0 {
		return fmt.Errorf("%s: no transformer blocks found", head)
	}
	count := map[int]int{}
	for _, b := range blocks {
		if b.Downsample >= 1 {
			count[b.Downsample]++
		}
	}
	if len(count) == 0 {
		return fmt.Errorf("%s: see the blocks' notes", head)
	}
	levels := make([]int, 0, len(count))
	for ds := range count {
		levels = append(levels, ds)
	}
	slices.Sort(levels)
	if levels[0] <= opts.MaxDownsample {
		return fmt.Errorf("%s: see the blocks' notes", head)
	}
	parts := make([]string, len(levels))
	for i, ds := range levels {
		parts[i] = fmt.Sprintf("%d at downsample %d", count[ds], ds)
	}
	why := fmt.Sprintf("its %d transformer blocks are %s, none at downsample <= %d", len(blocks), strings.Join(parts, ", "), opts.MaxDownsample)
	if levels[0] > 1 {
		why += " (no attention at full latent resolution, as in SDXL; tomesd merges nothing here either)"
	}
	return fmt.Errorf("%s: %s; max_downsample %d would patch %d", head, why, levels[0], count[levels[0]])
}
