// Package testutil holds the small helpers that tests in several packages share:
// reading .npy fixtures, comparing float32 outputs with references and converting
// shapes. It is imported only from _test.go files.
//
// It depends on internal/npy alone, so that the tests of any other package (ort,
// onnx, tome, …) can import it without an import cycle.
package testutil
