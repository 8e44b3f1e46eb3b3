// Package onnx loads, edits, builds and saves ONNX models.
//
// It is the graph layer every other tomebench package stands on:
//
//  1. Model: load and save .onnx files (Load, Decode, Save) with external data. Weights
//     stored outside the model (one file such as weights.pb or model.onnx_data, with
//     offsets) are never read on load, so editing the graph of a 3.4 GB UNet costs only
//     the graph; a saved edit can keep pointing at the original weights file.
//  2. Graph: a view of a GraphProto for rewrites in the style of onnx-graphsurgeon: find
//     nodes by op, name or scope prefix (/down_blocks.0/attentions.0/…), producers and
//     consumers of a value, replace a value's uses, insert nodes, fresh unique names,
//     topological sort and check, and value shapes where the graph states them.
//  3. Builder: typed helpers for the operators tomebench emits, with constants and the
//     opset-dependent forms (e.g. ReduceMax axes are an attribute up to opset 17 and an
//     input from 18). Node and value names follow torch.onnx.export's scheme
//     (/scope/Op, /scope/Op_output_0), so graphs built here look like exported ones.
//
// The protobuf types live in package onnxpb, generated from onnxpb/onnx.proto.
package onnx
