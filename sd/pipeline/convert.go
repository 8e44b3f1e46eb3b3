package pipeline

import (
	"github.com/tomebench/tomebench/sd/models"
)

// convertDiffusers converts the diffusers folder src to the ONNX layout in dst (an empty
// folder) with sd/models' builders: default opset, dynamic batch and spatial size,
// float32 timestep and int32 input_ids; with fp16, float16 weights and activations;
// with fused, the UNet's attention as ONNX Runtime's MultiHeadAttention.
func convertDiffusers(src, dst string, fp16, fused bool) error {
	_, err := models.Convert(src, dst, models.ConvertOptions{Options: models.Options{Float16: fp16, FusedAttention: fused}})
	if err != nil {
		return &FolderError{Path: src, Msg: "cannot convert diffusers folder to ONNX", Err: err}
	}
	return nil
}
