// Package onnxpb holds the Go types generated from onnx.proto, the ONNX model format.
// Regenerate with `go generate` (needs protoc and protoc-gen-go v1.36).
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto
