// Package runner runs an experiment plan (package experiments) into a run folder:
// the images of every variant, one record per image and per variant session, the
// machine it ran on, and the metrics. It is what `tomebench run CONFIG` does; the
// layout of the folder is documented in experiments/records.go.
//
// A run goes through these steps:
//
//  1. Resolve the model: a configured folder, an HF-cache repo id, or a random-weight
//     model synthesised once into the cache; a diffusers folder is converted to ONNX
//     once (cached by content). This is measured apart from every image.
//  2. Expand the config into a Plan (variants with stable IDs) and check it against the
//     plan already in the folder, if any: a rerun may extend a run, never change it.
//  3. Split the work: the images of a variant form batches with fixed boundaries
//     (batch b holds prompt indices [b·B, b·B+B)); shard i of n takes the batches with
//     b mod n = i of every variant, so every shard measures every variant on its own
//     machine. Finished images (a record and its file) are never redone.
//  4. Run each variant with pending batches in a child process (so that its peak
//     resident memory is its own): open the models, prepare the variant's UNets
//     (patched once per ratio), a warm-up generation that is not timed, then every
//     pending batch. Image j starts from seed Seed+j and a batch's ToMe partitions are
//     drawn from the seed of its first image, so a resumed or sharded run makes the
//     same bytes as an uninterrupted one. Each PNG is written atomically, then its
//     record line is appended; a kill -9 loses at most the batch in flight.
//  5. When every image of the plan exists, compute the metrics: FID (KID, intervals)
//     of each variant against the reference with package fideval — the same code as
//     `tomebench fid` — and PSNR/SSIM of each image against the baseline's image of
//     the same index (package fidelity); metrics.json is written atomically.
//
// Library code reports progress through callbacks (Options.Events) and never draws;
// the CLI does.
package runner
