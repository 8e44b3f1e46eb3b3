// Package inception computes pytorch-fid's Inception features in Go: its FID InceptionV3
// built as an ONNX graph from the weights file and run with ONNX Runtime.
//
// The pipeline, each step as pytorch-fid does it:
//
//  1. ListImages: the folder's files with pytorch-fid's extensions, sorted by name.
//  2. LoadImage: decode (png, jpeg, bmp, tiff, webp, pgm/ppm) and convert as PIL's
//     Image.open(path).convert("RGB"), then TF.ToTensor: float32 [3,H,W], v/255.
//  3. Build: the network from a state_dict (internal/torchpth reads the .pth, legacy or
//     zip format). In the graph: Resize to 299×299 (linear, half_pixel, no antialias =
//     F.interpolate bilinear, align_corners=False), 2x−1, then the blocks — Conv2d_1a…
//     max-pool (64-d), Conv2d_3b, 4a, max-pool (192-d), Mixed_5b…6e (768-d), Mixed_7a…7c
//     and the average pool (2048-d, pool3). pytorch-fid's FID changes are kept: average
//     pools with count_include_pad=False in the A, C and E_1 blocks, a max pool in E_2,
//     BatchNorm eps 0.001. Feature outputs are spatially averaged when larger than 1×1,
//     as get_activations does. BatchNorm is folded into the convolutions in float64.
//  4. Extractor: batches of up to BatchSize images through ORT, cancellable by a
//     context, reporting progress to an optional callback (the package draws nothing).
//
// Weights: the real file (WeightsFile, 95 MB) is looked for in tomebench's cache and in
// torch.hub's, downloaded from WeightsURL with its sha256 checked when missing
// (EnsureWeights), and otherwise the error says what to do. FormulaWeights gives the
// fixtures' deterministic stand-in (FormulaSpec, "formula:det", selects it in the CLI).
//
// Agreement with pytorch-fid, measured on the fixtures with the formula weights (error
// relative to each tensor's largest magnitude): the 299×299 input 4.2e-5 (ONNX Runtime
// computes the Resize source coordinate as (x+0.5)/(299/in)−0.5, torch as
// (in/299)·(x+0.5)−0.5), block outputs ≤ 1.9e-5, features ≤ 1.3e-6 on all 326 images
// of setA/B/C, FIDs between the sets ≤ 6.6e-7 relative of the exact values.
//
// Known differences, where the input differs from the fixtures' (8-bit RGB PNG):
//   - JPEG: decoded by internal/jpegdec, which reproduces PIL's (libjpeg-turbo 2.1.5's)
//     pixels exactly; Go's image/jpeg would differ by up to 43 levels on 4:2:0 files and
//     move FID by ~5 %. See jpeg.md beside this file. Arithmetic-coded JPEGs, which PIL
//     reads, are rejected.
//   - Folders mixing image sizes work here (each size is batched separately);
//     pytorch-fid's DataLoader fails on them unless the batch size is 1.
//   - 16-bit grey PNG follows PIL's mode I;16 → RGB, which clips at 255 instead of
//     scaling; CMYK converts with Pillow's formula.
package inception
