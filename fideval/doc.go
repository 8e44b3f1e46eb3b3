// Package fideval measures FID from images: the one path from image folders (or
// pytorch-fid .npz statistics) to a Report, shared by `tomebench fid`, `tomebench
// stats` and the experiment runner, so that a number printed by one is the number the
// other would print for the same inputs.
//
// The pipeline:
//
//  1. Config and New: feature size, batch size, weights (a .pth path, "" for the real
//     weights found or downloaded, or inception.FormulaSpec for tests), ONNX Runtime
//     session options. Nothing is opened yet.
//  2. Folder, Files, Load: list the images (inception.ListImages, pytorch-fid's
//     extensions, name order), open Inception on first use (ort.Init,
//     inception.LoadWeights, inception.NewExtractor), run it in batches and stream the
//     features into a fid.Accumulator. The result is a Set: its statistics, and its
//     feature rows when asked or when N <= Dims (then the exact FID is cheapest from
//     the features). An .npz gives a statistics-only Set (fid.ReadStats).
//  3. Reference: the same for a reference folder, cached in a folder under a content
//     hash of the images, the feature size and the weights, so that a second run over
//     unchanged images reads the cache and runs no network.
//  4. Compare: the Fréchet distance between two Sets — from the features
//     (fid.FrechetFeatures) when both have them and the method is exact, else from the
//     statistics (fid.Frechet) — and, when asked, KID, the spread over subsamples and
//     FID∞, which need the features. Statistical trouble (singular covariances, capped
//     KID subsets) comes back as Report.Warnings; caller mistakes (missing features,
//     different dimensions, bad options) as errors.
//
// The package draws nothing: progress goes to Config.Progress, a callback, and the only
// text it writes is the weights download's, to Config.Log.
package fideval
