// Package fid computes the Fréchet Inception Distance and its companions
// from feature vectors or from their statistics. It knows nothing of the
// network that made the features (see package inception).
//
// The pipeline, in steps:
//
//  1. Statistics. An Accumulator streams feature rows (float32 or float64) into
//     a mean and a sample covariance (ddof 1, as np.cov(rowvar=False)) in
//     float64, merging batches with Chan et al.'s update; StatsOf does the same
//     in two passes over a whole matrix. ReadStats and WriteStats read and
//     write pytorch-fid's .npz statistics (mu, sigma).
//  2. Distance. FID = ‖μ1−μ2‖² + tr Σ1 + tr Σ2 − 2·tr√(Σ1Σ2). Frechet with
//     Exact computes tr√(Σ1Σ2) as the nuclear norm ‖B2ᵀB1‖_* of pivoted-Cholesky
//     factors Σk = BkBkᵀ, exact to round-off even when the covariances are
//     singular; FrechetFeatures uses the nuclear norm of A1A2ᵀ (centred
//     features / √(n−1)) when the feature matrices are at hand and have no more
//     rows than columns. PytorchFIDCompat reproduces pytorch-fid's
//     scipy.linalg.sqrtm route instead.
//  3. Companions. KID (polynomial-kernel MMD², torch-fidelity's definition),
//     SubsampleInterval (spread of FID over repeated subsamples) and
//     FIDInfinity (Chong & Forsyth's 1/N extrapolation).
//
// # Exact versus pytorch-fid
//
// With fewer images than feature dimensions (2,000 < 2,048 in the ToMe
// paper), the covariances are singular, Σ1Σ2 has eigenvalues that are exactly
// zero, and scipy's sqrtm returns the square roots of their round-off
// (≈√eps·‖Σ‖ each, complex or negative), so pytorch-fid reads slightly low:
// 161.8387 against the exact 161.8503 on the inception_det A–B fixture
// (0.3 % at A–C). Exact avoids every square root of round-off. On full-rank
// covariances both agree to about 1e-13 relative.
//
// # Failure contract
//
// Caller mistakes (ragged rows, bad sizes, mismatched widths passed to KID)
// panic with a "fid: " prefix. Bad data returns errors: *StatsFileError names
// the file and the problem; mismatched or non-finite statistics are errors
// from Frechet. Statistical trouble is not failure: results carry
// Warnings []error (for example ErrSingularCovariance when N ≤ D).
//
// # Linear algebra backend
//
// Everything runs in pure Go (gonum). When cgo is enabled and a system
// LAPACK can be loaded at run time with dlopen (libopenblas.so.0, then
// liblapack.so.3 — on Debian the one update-alternatives selected, which
// numpy and scipy use too), the dense kernels (dgemm, dsyrk, dpstrf, dgesdd,
// dgeev) go to it instead: at D = 2048 the pure-Go SVD takes minutes, OpenBLAS
// about a second. Nothing is linked at build time, so building needs no BLAS
// headers or libraries. TOMEBENCH_LAPACK=off forces pure Go;
// TOMEBENCH_LAPACK=/path/to/liblapack.so picks a library (LP64, Fortran
// symbols with trailing underscore). Backend reports which one is in use.
// Both backends are tested against the same fixtures.
package fid
