package pipeline

import (
	"strings"
	"testing"
)

// sd15 is SD 1.5 in float32 as `tomebench convert` writes it: heads 8, VAE (128, 256,
// 512, 512), UNet weights 3.44 GB in weights.pb beside a small model.onnx.
var sd15 = HiresModel{Heads: 8, Downscale: 8, VAEChannels: []int{128, 256, 512, 512}, Elem: 4, UNetFiles: 3_438_000_000, UNetGraph: 1_000_000}

func TestEstimateHiresSD15(t *testing.T) {
	// The run that was OOM-killed: 512→1024, guided, ToMe 0.7 in the second pass, ~10 GB available.
	e := EstimateHires(sd15, 1, 1024, 1024, 0.7, true)
	const N = 128 * 128
	n2 := int64(N - 11468) // 4916 tokens left: ⌊16384·0.7⌋ = 11468 merged
	if e.Tokens != N || e.Merged != n2 {
		t.Fatalf("tokens %d → %d, want %d → %d", e.Tokens, e.Merged, N, n2)
	}
	attn := 2 * 2 * 8 * n2 * n2 * 4 // scores + softmax, both halves of the guidance batch
	if e.Attention != attn || e.UNetArena != 2*attn {
		t.Fatalf("attention %d, arena %d; want %d, %d", e.Attention, e.UNetArena, attn, 2*attn)
	}
	if want := sd15.UNetFiles + 2*sd15.UNetGraph; e.PatchedUNet != want {
		t.Fatalf("patched copy %d, want %d", e.PatchedUNet, want)
	}
	px := int64(1024 * 1024)
	vaeAttn := int64(2 * N * N * 4)
	if enc := 2 * max(vaeAttn, 3*128*px*4); e.VAEEncoder != enc {
		t.Fatalf("VAE encoder %d, want %d", e.VAEEncoder, enc)
	}
	if dec := 2 * 3 * 256 * px * 4; e.VAEDecoder != dec {
		t.Fatalf("VAE decoder %d, want %d", e.VAEDecoder, dec)
	}
	if e.GoHeap != 2*32*px {
		t.Fatalf("Go heap %d", e.GoHeap)
	}
	if sum := e.UNetArena + e.PatchedUNet + e.VAEEncoder + e.VAEDecoder + e.GoHeap; e.Total != sum {
		t.Fatalf("total %d, terms add up to %d", e.Total, sum)
	}
	// The old estimate (attention + one UNet copy) let it through at 10 GB; the process
	// then reached 14 GB RSS. The estimate must be above both.
	const GB = int64(1e9)
	if old := attn + sd15.UNetFiles; old >= 10*GB {
		t.Fatalf("old estimate %d: the regression case is gone", old)
	}
	if e.Total < 14*GB {
		t.Fatalf("estimate %.1f GB for the run that was OOM-killed at 14 GB RSS", float64(e.Total)/1e9)
	}
	err := e.Check(10 * GB)
	if err == nil {
		t.Fatal("Check let the OOM-killed run through at 10 GB")
	}
	for _, s := range []string{"1024x1024", "guided", "ToMe ratio 0.7", "arena", "patched UNet", "VAE", "--hires-ratio", "--guidance 1", "smaller --hires", "--no-memory-check"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("refusal does not mention %q: %v", s, err)
		}
	}
	if err := e.Check(e.Total + 1); err != nil {
		t.Fatalf("fits but refused: %v", err)
	}
	if err := e.Check(0); err != nil {
		t.Fatalf("unknown memory refused: %v", err)
	}

	// Unguided: half the UNet attention; no ToMe: no patched copy, the full N².
	u := EstimateHires(sd15, 1, 1024, 1024, 0.7, false)
	if u.Attention*2 != e.Attention || u.Total >= e.Total {
		t.Fatalf("unguided attention %d vs guided %d", u.Attention, e.Attention)
	}
	z := EstimateHires(sd15, 1, 1024, 1024, 0, true)
	if z.PatchedUNet != 0 || z.Attention != 2*2*8*N*N*4 {
		t.Fatalf("ratio 0: patched %d, attention %d", z.PatchedUNet, z.Attention)
	}
	// ToMe merges at most 3/4 of the tokens.
	if m := EstimateHires(sd15, 1, 1024, 1024, 0.9, true); m.Merged != N/4 {
		t.Fatalf("ratio 0.9 leaves %d tokens, want %d", m.Merged, N/4)
	}
	// A smaller size suggested must itself fit.
	if s := EstimateHires(sd15, 1, 768, 768, 0.7, true); s.Total >= e.Total {
		t.Fatalf("768² %d ≥ 1024² %d", s.Total, e.Total)
	}
	// The zero model is SD 1.x's float32 shapes.
	if d := EstimateHires(HiresModel{UNetFiles: sd15.UNetFiles, UNetGraph: sd15.UNetGraph}, 1, 1024, 1024, 0.7, true); d.Total != e.Total {
		t.Fatalf("defaults give %d, want %d", d.Total, e.Total)
	}
}
