// Package torchpth reads PyTorch state_dict files (.pth, .pt) written by torch.save,
// without Python and without executing anything from the file.
//
// Two container formats exist and both are read:
//
//  1. The zip format (torch ≥ 1.6 default): an uncompressed zip holding
//     <prefix>/data.pkl (the pickled object) and <prefix>/data/<key> (one raw
//     little-endian storage per key).
//  2. The legacy format (torch < 1.6, or _use_new_zipfile_serialization=False): a run of
//     pickles — the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a
//     sys-info dict, the object itself, the sorted list of storage keys — followed by
//     each storage as an 8-byte little-endian element count and its raw bytes.
//
// In both, tensors are pickled as torch._utils._rebuild_tensor_v2(storage, offset,
// size, stride, …) with the storage given by a persistent id
// ('storage', torch.FloatStorage, key, location, numel[, view_metadata]).
//
// The unpickler is a small, closed virtual machine: it knows the opcodes that torch
// emits (protocols 2–5), rebuilds collections.OrderedDict and tensors, and turns every
// other global into an inert record; nothing is imported or called. Malformed input
// gives a *FormatError naming the file and the problem, never a panic (see the fuzz
// test).
//
// Why not github.com/nlpodyssey/gopickle: it reads both formats, but its latest
// release on the module proxy is v0.2.0 (February 2023) and it panics on malformed
// pickles (its issue #16, index out of range in loadDict), which a loader of
// downloaded files must not do. What tomebench needs is a few hundred lines.
package torchpth
