package tome

import "testing"

// BenchmarkToMeSDXLBlock is BenchmarkToMeOverhead at the shapes of the SDXL blocks ToMe
// patches with max_downsample 2 at 1024×1024: the 2×-downsampled level, 64×64 = 4096
// tokens of 640 channels in 10 heads, batch 2 (one image under guidance), ratio 0.5. Ten
// such blocks run per UNet call (down_blocks.1: 4, up_blocks.1: 6). It reports the
// self-attention at N and N−r tokens, ToMe's own ops, the patched attention, and
// ToMe's share of the time merging saves. benchmarks/sdxl.md has the numbers.
func BenchmarkToMeSDXLBlock(b *testing.B) { benchToMeBlock(b, 640, 10) }
