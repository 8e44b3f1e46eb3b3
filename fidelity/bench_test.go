package fidelity

import "testing"

// BenchmarkSSIM512 times SSIM of two seeded 512x512 RGB images, including
// the conversion of both images.
func BenchmarkSSIM512(b *testing.B) {
	x, y := noisyPair(1, 512, 512, 10)
	b.SetBytes(2 * 512 * 512 * 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SSIM(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare512 times Compare (PSNR and SSIM) of the same pair.
func BenchmarkCompare512(b *testing.B) {
	x, y := noisyPair(1, 512, 512, 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
