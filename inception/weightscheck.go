package inception

import (
	"fmt"
	"slices"

	"github.com/tomebench/tomebench/internal/torchpth"
)

// checkWeights verifies that sd is exactly fid_inception_v3().state_dict() in keys,
// shapes and types, as pytorch-fid's strict load_state_dict does.
func checkWeights(sd *torchpth.StateDict) error {
	want := map[string][]int{}
	var keys []string
	add := func(k string, shape []int) {
		want[k] = shape
		keys = append(keys, k)
	}
	for _, c := range architecture() {
		out := []int{c.Out}
		add(c.Name+".conv.weight", []int{c.Out, c.In, c.KH, c.KW})
		for _, k := range []string{"weight", "bias", "running_mean", "running_var"} {
			add(c.Name+".bn."+k, out)
		}
		add(c.Name+".bn.num_batches_tracked", nil)
	}
	add("fc.weight", []int{fcOut, fcIn})
	add("fc.bias", []int{fcOut})
	for _, k := range sd.Keys {
		if _, ok := want[k]; !ok {
			return &WeightsError{k, "unexpected key: not part of pytorch-fid's FID Inception (is this the right file?)"}
		}
	}
	for _, k := range keys {
		shape := want[k]
		t, ok := sd.Tensors[k]
		if !ok {
			return &WeightsError{k, "missing (is this pytorch-fid's pt_inception-2015-12-05-6726825d.pth?)"}
		}
		if shape == nil { // num_batches_tracked: any integer scalar
			continue
		}
		if !slices.Equal(t.Shape, shape) {
			return &WeightsError{k, fmt.Sprintf("shape %v, want %v", t.Shape, shape)}
		}
		switch t.DType {
		case torchpth.Float32, torchpth.Float16, torchpth.Float64, torchpth.BFloat16:
		default:
			return &WeightsError{k, fmt.Sprintf("type %s, want floating point", t.DType)}
		}
	}
	return nil
}
