package pipeline

import (
	"math"
	"math/rand/v2"
)

// Gaussian fills dst with standard normal float32 values drawn from seed, the same on
// every machine and Go version.
//
// The generator is Marsaglia's polar method over PCG-DXSM (math/rand/v2's PCG, whose
// output is fixed by its documentation) seeded with rand.NewPCG(seed, 0):
//
//	repeat: x = Uint64(), y = Uint64()
//	        u = (x>>11)*2^-53*2 - 1, v = (y>>11)*2^-53*2 - 1      (uniform in [-1, 1))
//	until   0 < s = u*u + v*v < 1
//	values  u*f, v*f with f = sqrt(-2*ln(s)/s), each rounded once to float32
//
// filling dst in order, two values per accepted pair (the second is dropped when dst has
// odd length). The logarithm is computed by lnPinned with IEEE basic operations only,
// each rounded explicitly, so no platform's libm or fused multiply-add can change a bit.
// These are not torch.randn's values: to reproduce a torch run, pass its latents.
func Gaussian(dst []float32, seed uint64) {
	src := rand.NewPCG(seed, 0)
	uniform := func() float64 { return float64(src.Uint64()>>11)*0x1p-53*2 - 1 }
	for i := 0; i < len(dst); {
		u, v := uniform(), uniform()
		s := float64(u*u) + float64(v*v)
		if s <= 0 || s >= 1 {
			continue
		}
		f := math.Sqrt(float64(-2*lnPinned(s)) / s)
		dst[i] = float32(float64(u * f))
		i++
		if i < len(dst) {
			dst[i] = float32(float64(v * f))
			i++
		}
	}
}

// ln2Hi + ln2Lo = ln 2 (fdlibm's split: ln2Hi has 21 trailing zero bits, so k*ln2Hi is
// exact for |k| < 2^21).
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// lnPinned returns ln(x) for 0 < x < Inf to within a few ulp, bit-identically on every
// platform: x = m*2^k with m in [sqrt(1/2), sqrt(2)), ln m = 2*atanh(z), z = (m-1)/(m+1),
// |z| < 0.1716, summed as the odd series z + z^3/3 + ... to 2*z^35/35 (the next term is
// below 2^-90 relative). Every product is wrapped in float64() so that no compiler fuses
// it into a multiply-add.
func lnPinned(x float64) float64 {
	m, k := math.Frexp(x) // x = m * 2^k, m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m *= 2
		k--
	}
	z := (m - 1) / (m + 1)
	z2 := float64(z * z)
	sum := 0.0
	for n := 35; n >= 3; n -= 2 {
		sum = float64(sum*z2) + 1/float64(n)
	}
	lnM := 2 * (z + float64(float64(z*z2)*sum))
	kf := float64(k)
	return float64(kf*ln2Hi) + (float64(kf*ln2Lo) + lnM)
}
