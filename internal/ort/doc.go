// Package ort gives the rest of tomebench access to ONNX Runtime: it finds
// (or installs) the shared library, initialises the runtime once, opens
// sessions on the CPU or CUDA execution provider and runs them with named
// tensors.
//
// The pipeline is:
//
//  1. LibraryPath finds libonnxruntime.so.1: the ONNXRUNTIME_LIB variable
//     first, then the per-user cache
//     $XDG_CACHE_HOME/tomebench/onnxruntime-1.29.0/libonnxruntime.so.1.
//     Install fills the cache from the npm package onnxruntime-node@1.29.0
//     (npm pack only, never its install script), checking both the tarball's
//     and the library's sha256.
//  2. Init loads the library and creates the process-wide environment; it is
//     idempotent and safe to call from many goroutines.
//  3. NewSession / NewSessionFromBytes open a model with SessionOptions
//     (threads, graph optimisation level, provider, external-data folder).
//  4. (*Session).Run takes and returns *Tensor values by name. Float16 outputs
//     are pre-allocated (onnxruntime_go copies auto-allocated float16 outputs
//     wrongly), so their shapes must be static in the model, follow from
//     the inputs' dynamic batch, or be given to RunWithShapes. Inputs and
//     outputs are read from the model's protobuf (no temporary session).
//
// Memory figures for reports come from PeakRSS (VmHWM of /proc/self/status).
//
// Tests of packages that need the runtime call orttest.Require, which fails
// the test with the install command when the library is missing, so that no
// test silently passes without ONNX Runtime.
package ort
