// Package npy reads and writes NumPy .npy arrays (format versions 1.0–3.0) and .npz
// archives of them.
//
// It covers what tomebench exchanges with Python tools: little-endian float32, float64,
// int32, int64 and uint8 arrays in C order. Fortran order, big-endian data and object
// arrays are rejected with a *FormatError rather than misread. No maintained Go library
// reads .npy with typed errors and without reflection-heavy APIs, hence this small one.
package npy
