// Package methods holds what the sibling accelerations of ToMe for SD share: the
// record a patched model carries of how it was patched.
//
// Each method is its own package, a graph rewrite of an ONNX UNet with the shape of
// tome.Patch (Options with JSON tags and Validate, Patch and Inspect returning a Report
// with Patched, Blocks and Warnings):
//
//   - methods/todo: ToDo, token downsampling of self-attention's keys and values
//     (Smith et al. 2024);
//   - methods/agentsd: AgentSD, ToMe plus agent attention (Han et al. 2024).
//
// A patched model records the method and its settings in its metadata_props under
// [MetadataKey] as JSON ([Record]), so `tomebench inspect` can say how a model was
// patched whichever method did it.
package methods
