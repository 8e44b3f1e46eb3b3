package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/tome"
)

// Input names the exporters give the UNet's three inputs: diffusers' script and optimum
// write the first of each list; the others are seen in older or hand-made exports.
var (
	sampleNames   = []string{"sample", "latent_model_input"}
	timestepNames = []string{"timestep", "t", "timesteps"}
	contextNames  = []string{"encoder_hidden_states", "context"}
)

// randInputRE matches the partition inputs that tome.Patch adds: tome_rand_idx_<k>.
var randInputRE = regexp.MustCompile(`^tome_rand_idx_([0-9]+)$`)

// A UNet is an opened UNet model together with what the pipeline read from it: the names,
// types and shapes of its inputs, and, when it is ToMe-patched, its partition inputs.
type UNet struct {
	// Session is the ONNX Runtime session.
	Session *ort.Session
	// Path names the model in messages (the file, or the file and the patch applied).
	Path string
	// ToMe holds the options the model was patched with; nil for an unpatched UNet.
	ToMe *tome.Options
	// Report is tome.Patch's report when Pipeline.PrepareUNet tried a patch (nil for
	// the base UNet): for a patched UNet its RandInputs are the partitions fed on
	// every call; with Patched 0 no block was eligible, the unpatched model runs (ToMe
	// is nil) and Warnings say why.
	Report *tome.Report

	sample, timestep, context ort.IOInfo
	textEmbeds, timeIDs       ort.IOInfo // SDXL's added conditioning (zero when absent)
	output                    ort.IOInfo
	rand                      []randInput // partition inputs, by k
	extra                     []string    // inputs the caller's hook feeds
	fetch                     []string    // extra outputs handed to Request.AfterUNet

	pipe   *Pipeline // the pipeline that opened or prepared it
	owned  bool      // Close closes Session (a patched UNet not yet closed)
	closed bool      // Close was called on a patched UNet
}

// A randInput is one tome_rand_idx_<k> input: [rows, cols] = [h/sy, w/sx] of block k.
type randInput struct {
	name       string
	k          int
	rows, cols int64 // -1 when dynamic in the model
}

// newUNet reads the inputs and outputs of s (opened from path) and checks that the
// pipeline can feed them: sample [B, C, h, w] and encoder_hidden_states [B, 77, D] as
// float or float16, a float or integer timestep of rank 0 or 1, partition inputs
// tome_rand_idx_<k> (int64 [rows, cols]) and the names in extra, which a hook feeds.
func newUNet(s *ort.Session, path string, topt *tome.Options, extra []string) (*UNet, error) {
	u := &UNet{Session: s, Path: path, ToMe: topt, extra: extra}
	in := s.Inputs()
	var ok bool
	want := fmt.Sprintf("want sample, timestep and encoder_hidden_states; the model's inputs are %s", ioNames(in))
	if u.sample, ok = findIO(in, sampleNames...); !ok {
		return nil, &FolderError{Path: path, Msg: "UNet has no sample input: " + want}
	}
	if u.timestep, ok = findIO(in, timestepNames...); !ok {
		return nil, &FolderError{Path: path, Msg: "UNet has no timestep input: " + want}
	}
	if u.context, ok = findIO(in, contextNames...); !ok {
		return nil, &FolderError{Path: path, Msg: "UNet has no encoder_hidden_states input: " + want}
	}
	for _, err := range []error{
		checkFloat(path, "UNet input", u.sample), checkRank(path, "UNet input", u.sample, 4),
		checkFloat(path, "UNet input", u.context), checkRank(path, "UNet input", u.context, 3),
	} {
		if err != nil {
			return nil, err
		}
	}
	switch u.timestep.DType {
	case ort.Float32, ort.Float16, ort.Int32, ort.Int64:
	default:
		return nil, &FolderError{Path: path, Msg: fmt.Sprintf("UNet input %q is %s; want a float or integer timestep", u.timestep.Name, typeName(u.timestep))}
	}
	if len(u.timestep.Shape) > 1 {
		return nil, &FolderError{Path: path, Msg: fmt.Sprintf("UNet input %q has shape %v; want a scalar or [batch]", u.timestep.Name, u.timestep.Shape)}
	}
	for _, io := range in {
		switch {
		case io.Name == u.sample.Name || io.Name == u.timestep.Name || io.Name == u.context.Name:
		case slices.Contains(extra, io.Name):
		case io.Name == "text_embeds" || io.Name == "time_ids": // SDXL (sdxl.go)
			if err := checkFloat(path, "UNet input", io); err != nil {
				return nil, err
			}
			if io.Name == "text_embeds" {
				u.textEmbeds = io
			} else {
				u.timeIDs = io
			}
		case randInputRE.MatchString(io.Name):
			if io.DType != ort.Int64 || len(io.Shape) != 2 {
				return nil, &FolderError{Path: path, Msg: fmt.Sprintf("ToMe partition input %q is %s %v; want int64 [h/sy, w/sx]", io.Name, typeName(io), io.Shape)}
			}
			k, _ := strconv.Atoi(randInputRE.FindStringSubmatch(io.Name)[1])
			u.rand = append(u.rand, randInput{name: io.Name, k: k, rows: io.Shape[0], cols: io.Shape[1]})
		default:
			return nil, &FolderError{Path: path, Msg: fmt.Sprintf("UNet input %q is not one the pipeline feeds (sample, timestep, encoder_hidden_states, tome_rand_idx_<k>); the model's inputs are %s", io.Name, ioNames(in))}
		}
	}
	slices.SortFunc(u.rand, func(a, b randInput) int { return a.k - b.k })
	if len(u.rand) > 0 && topt == nil {
		return nil, &FolderError{Path: path, Msg: fmt.Sprintf("UNet takes ToMe partitions (%s) but no ToMe options say how to draw them; open the unpatched model and patch it with Pipeline.PrepareUNet instead", u.rand[0].name)}
	}
	outs := s.Outputs()
	if u.output, ok = findIO(outs, "out_sample", "noise_pred", "sample"); !ok && len(outs) > 0 {
		u.output = outs[0]
	}
	if u.output.Name == "" {
		return nil, &FolderError{Path: path, Msg: "UNet has no outputs"}
	}
	if err := checkFloat(path, "UNet output", u.output); err != nil {
		return nil, err
	}
	return u, nil
}

// Inputs returns the names of the UNet's sample, timestep and encoder_hidden_states inputs.
func (u *UNet) Inputs() (sample, timestep, context string) {
	return u.sample.Name, u.timestep.Name, u.context.Name
}

// PartitionInputs returns the names of the UNet's tome_rand_idx_<k> inputs in k order
// (none unless it is patched with random partitions).
func (u *UNet) PartitionInputs() []string {
	out := make([]string, len(u.rand))
	for i, r := range u.rand {
		out[i] = r.name
	}
	return out
}

// Float16 reports whether the UNet takes float16 latents.
func (u *UNet) Float16() bool { return u.sample.DType == ort.Float16 }

// checkLatent reports a latent size or channel count that the model's static sample
// shape rules out.
func (u *UNet) checkLatent(c, h, w int) error {
	s := u.sample.Shape
	if d := staticDim(s, 1); d >= 0 && d != int64(c) {
		return &FolderError{Path: u.Path, Msg: fmt.Sprintf("UNet input %q takes %d channels, the latents have %d", u.sample.Name, d, c)}
	}
	if dh, dw := staticDim(s, 2), staticDim(s, 3); (dh >= 0 && dh != int64(h)) || (dw >= 0 && dw != int64(w)) {
		return &FolderError{Path: u.Path, Msg: fmt.Sprintf("UNet input %q is fixed at %v; the requested size needs %dx%d latents", u.sample.Name, s, h, w)}
	}
	return nil
}

// timestepTensor returns t as the model's timestep input for a batch of n: its type
// (integers truncate t, as numpy's astype does in diffusers' ONNX pipeline) and its
// shape: [1] or [n] as the model declares it, else a scalar (a declared scalar, or no
// stated rank: diffusers passes t to the UNet as a 0-dim tensor).
func (u *UNet) timestepTensor(t float64, n int) *ort.Tensor {
	shape := []int64{}
	switch s := u.timestep.Shape; {
	case len(s) == 1 && s[0] == 1:
		shape = []int64{1}
	case len(s) == 1:
		shape = []int64{int64(n)}
	}
	count := 1
	if len(shape) == 1 {
		count = int(shape[0])
	}
	switch u.timestep.DType {
	case ort.Int32, ort.Int64:
		v := make([]int64, count)
		for i := range v {
			v[i] = int64(t)
		}
		return intTensor(u.timestep.DType, shape, v)
	}
	v := make([]float32, count)
	for i := range v {
		v[i] = float32(t)
	}
	return floatTensor(u.timestep.DType, shape, v)
}
