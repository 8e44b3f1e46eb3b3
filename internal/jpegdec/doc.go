// Package jpegdec decodes JPEG images to exactly the pixels PIL (Pillow) gives, that is
// libjpeg-turbo's output with its default decompression settings: the islow integer
// IDCT, "fancy" (triangle-filter) chroma upsampling and fixed-point YCbCr→RGB.
// Go's image/jpeg differs from them by up to tens of levels on subsampled images, which
// moves FID by several per cent; pytorch-fid reads its images with PIL.
//
// Decoding runs in five steps, one file each:
//
//  1. reader.go, scan.go, huffman.go, bytes.go: markers, Huffman-coded baseline and
//     progressive scans, restart intervals (adapted from Go's image/jpeg).
//  2. smooth.go: libjpeg's interblock smoothing (jdcoefct.c), only for progressive
//     files whose scans leave low AC coefficients unrefined.
//  3. idct.go: dequantization and libjpeg's jpeg_idct_islow (jidctint.c).
//  4. upsample.go: libjpeg's jdsample.c (h2v1, h1v2 and h2v2 fancy upsampling,
//     replication otherwise).
//  5. color.go: libjpeg's jdcolor.c (ycc_rgb_convert; CMYK/YCCK as PIL reads them).
//
// The colour space is guessed as libjpeg does (JFIF → YCbCr, Adobe transform, component
// identifiers 'R','G','B'). Decode returns *image.Gray (1 component), *image.RGBA
// (3 components, opaque) or *image.CMYK (4 components, holding the values of PIL's mode
// "CMYK"; PIL's convert("RGB") of them is not part of decoding). DecodeConfig reads
// only the headers.
//
// Matched exactly: libjpeg-turbo 2.1.5 as in Debian 12's Pillow 9.4.0 (on x86-64, whose
// SIMD code gives the same pixels as its C code on all test files), for baseline,
// extended and progressive files, any integral sampling factors (4:4:4, 4:2:2, 4:2:0,
// 4:4:0, 4:1:1, mixed), greyscale, RGB, CMYK, restart markers, odd sizes down to 1×1,
// and files with missing progressive refinement scans (block smoothing); see
// testdata/gen.py for the test files. A missing EOI marker is forgiven once every
// component has data. Not matched:
//   - arithmetic-coded, lossless, hierarchical and 12-bit JPEGs: UnsupportedError
//     (PIL reads arithmetic-coded ones; they are rare);
//   - corrupt data, which libjpeg repairs with warnings and this package rejects;
//   - IDCT outputs beyond ±512 levels (which encoders of 8-bit images do not produce):
//     they saturate as in libjpeg-turbo's SIMD code, not wrap as in its C code;
//   - libjpeg-turbo ≥ 3.0 smooths partially progressive files with vertically
//     subsampled components slightly differently (smooth.go).
//
// Licence: the Huffman, marker and scan code is adapted from the Go standard library
// (Copyright The Go Authors, BSD-style licence in the LICENSE file beside this one).
// The IDCT, upsampling and colour conversion port the arithmetic of libjpeg-turbo
// (jidctint.c, jdsample.c, jdcolor.c; IJG and BSD licences), written anew in Go.
package jpegdec
