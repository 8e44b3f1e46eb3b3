// Package half converts between float32 and the two 16-bit floating-point formats that
// model weights and ONNX tensors use:
//
//   - IEEE 754 binary16 ("half", numpy.float16, torch.float16, ONNX FLOAT16): 1 sign
//     bit, 5 exponent bits biased by 15, 10 fraction bits. Normal values are
//     ±1.f × 2^(e−15) for e in 1..30, subnormals ±0.f × 2⁻¹⁴ (multiples of 2⁻²⁴), e = 31
//     is ±Inf (f = 0) or NaN. The largest finite half is 65504.
//   - bfloat16 (torch.bfloat16, safetensors BF16): the upper 16 bits of a float32 — same
//     8-bit exponent, 7 fraction bits.
//
// Every 16-bit value is exactly a float32, so F16ToFloat32 and BF16ToFloat32 are exact,
// keeping signed zeros, subnormals, infinities and NaN payloads. The other direction
// rounds to nearest with ties to even, as numpy, torch and onnxruntime do: a float32 at
// or beyond 65520 becomes ±Inf in binary16, values below half of the smallest
// subnormal (2⁻²⁵) become ±0, and NaN stays NaN (its payload is kept where it fits,
// so Float32ToF16(F16ToFloat32(h)) == h for all 65,536 patterns).
//
// F16sToFloat32s and DecodeF16 convert in bulk through a 256 KiB table of all 65,536
// halves (built once, on first use), several times faster than decoding the fields.
//
// Why our own: the conversions are a few dozen lines with no dependency, and they are
// exact — checked here on all 65,536 patterns against the binary16 definition and
// against a search for the nearest half — so a third-party package would add a
// dependency without adding anything.
package half
