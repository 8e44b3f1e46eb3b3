// Package safetensors reads and writes the safetensors weight format used by Hugging Face
// diffusers and transformers.
//
// A .safetensors file is
//
//  1. an 8-byte little-endian unsigned integer N,
//  2. N bytes of UTF-8 JSON mapping each tensor name to {"dtype", "shape",
//     "data_offsets": [begin, end]} (offsets relative to the data area), with an optional
//     "__metadata__" object of string values, padded with spaces,
//  3. the data area: every tensor's bytes, little-endian, C order, back to back.
//
// Open maps the file read-only (mmap), so opening a multi-gigabyte UNet costs no copy: a
// TensorInfo's Bytes alias the mapping and stay valid until Close. The header is checked
// as strictly as the reference Rust implementation does: the header fits the file, every
// dtype is known, shape × element size equals the byte span, and the spans tile the data
// area exactly (sorted, no gaps, no overlap). Any violation is a *FormatError naming the
// file and the problem; no input makes the parser panic (see FuzzFromBytes).
//
// Float32 converts F32, F64, F16 and BF16 tensors to []float32; the half-precision
// conversions (package internal/half) are exact for subnormals, infinities and NaN and
// round to nearest even.
//
// Write (or Encode) produces files that the Python safetensors package reads: tensors are
// laid out by decreasing element size, then name, and the header is padded to a multiple
// of 8 bytes so that every tensor stays aligned. Write replaces the target atomically
// (temporary file in the same folder, fsync, rename).
//
// A File is safe for concurrent readers. Changing or truncating a file while it is open
// is not detected and may crash the process (SIGBUS), as with any mapped file.
package safetensors
