package checkpoint

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// Infer works the architecture out from the shapes of f's tensors, for a checkpoint
// given without a YAML or a diffusers folder. Read from the weights: channels per level,
// layers per block, which levels have attention, transformer depth, context width,
// conv or linear projections, the VAE's channels and the text encoder's width, depth
// and MLP. Not readable from weights, hence assumed (and listed in Notes): 32 GroupNorm
// groups; heads — 8 per block with convolutional projections (SD 1.x), 64-channel
// heads with linear ones (SD 2.x: [5, 10, 20, 20]); text heads of 64 channels; SD's
// scheduler (scaled_linear 0.00085..0.012, 1000 steps). The family (Arch.Family) is
// SD 2.x when the text encoder is OpenCLIP's, the projections are linear or the
// context is 1024 wide; for SD 2.x the prediction type is unknown (512-base:
// epsilon, 768-v: v_prediction, same shapes) and Arch.PredictionUnknown is set, so
// that Load asks for --prediction-type (diffusers guesses from the checkpoint's
// global_step instead); for SD 1.x it is epsilon.
func Infer(f *File) (*Arch, error) {
	a := &Arch{Source: "inferred from the weights of " + f.Path, PadToken: "<|endoftext|>"}
	shape := func(k string) []int {
		t, ok := f.Tensor(k)
		if !ok {
			return nil
		}
		return t.Shape
	}
	need := func(k string, rank int) ([]int, error) {
		s := shape(k)
		if len(s) != rank {
			return nil, &Error{Path: f.Path, Msg: fmt.Sprintf("cannot infer the architecture: tensor %q is missing or has shape %v (want rank %d)", k, s, rank)}
		}
		return s, nil
	}
	// UNet.
	cin, err := need(unetPrefix+"input_blocks.0.0.weight", 4)
	if err != nil {
		return nil, err
	}
	cout, err := need(unetPrefix+"out.2.weight", 4)
	if err != nil {
		return nil, err
	}
	ops := map[int]bool{}
	maxIn := 0
	reIn := regexp.MustCompile(`^` + regexp.QuoteMeta(unetPrefix) + `input_blocks\.(\d+)\.(\d+)\.(op\.)?`)
	for _, k := range f.Keys() {
		if m := reIn.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			maxIn = max(maxIn, i)
			if m[3] != "" {
				ops[i] = true
			}
		}
	}
	if len(ops) == 0 {
		return nil, &Error{Path: f.Path, Msg: "cannot infer the architecture: no downsampling blocks (input_blocks.K.0.op) in the UNet"}
	}
	first := maxIn
	for i := range ops {
		first = min(first, i)
	}
	n := first - 1 // layers per block: the first downsampler is input_blocks.(n+1)
	L := len(ops) + 1
	u := diffusers.DefaultUNetConfig()
	u.ClassName, u.DiffusersVersion = "UNet2DConditionModel", "0.19.3"
	u.InChannels, u.OutChannels = cin[1], cout[0]
	u.LayersPerBlock = diffusers.IntList{n}
	u.BlockOutChannels, u.DownBlockTypes, u.UpBlockTypes = nil, nil, nil
	var depth []int
	ctx, linear := 0, false
	for i := range L {
		blk := fmt.Sprintf("%sinput_blocks.%d.", unetPrefix, (n+1)*i+1)
		s, err := need(blk+"0.out_layers.3.weight", 4)
		if err != nil {
			return nil, err
		}
		u.BlockOutChannels = append(u.BlockOutChannels, s[0])
		if f.hasPrefix(blk + "1.") {
			u.DownBlockTypes = append(u.DownBlockTypes, "CrossAttnDownBlock2D")
			d := 0
			for f.hasPrefix(fmt.Sprintf("%s1.transformer_blocks.%d.", blk, d)) {
				d++
			}
			depth = append(depth, d)
			if k := shape(blk + "1.transformer_blocks.0.attn2.to_k.weight"); len(k) == 2 {
				ctx = k[1]
			}
			linear = len(shape(blk+"1.proj_in.weight")) == 2
		} else {
			u.DownBlockTypes = append(u.DownBlockTypes, "DownBlock2D")
			depth = append(depth, 1)
		}
	}
	for i := range L {
		if f.hasPrefix(fmt.Sprintf("%soutput_blocks.%d.1.transformer_blocks.", unetPrefix, (n+1)*i)) {
			u.UpBlockTypes = append(u.UpBlockTypes, "CrossAttnUpBlock2D")
		} else {
			u.UpBlockTypes = append(u.UpBlockTypes, "UpBlock2D")
		}
	}
	if ctx == 0 {
		return nil, &Error{Path: f.Path, Msg: "cannot infer the architecture: no cross-attention (attn2.to_k) in the UNet"}
	}
	u.CrossAttentionDim = diffusers.IntList{ctx}
	u.TransformerLayersPerBlock = diffusers.IntList(depth)
	if allSame(depth) {
		u.TransformerLayersPerBlock = diffusers.IntList{depth[0]}
	}
	u.UseLinearProjection = linear
	if linear {
		u.AttentionHeadDim = nil
		for _, c := range u.BlockOutChannels {
			u.AttentionHeadDim = append(u.AttentionHeadDim, max(c/64, 1))
		}
		a.note("UNet heads: 64 channels each, %v per level (SD 2.x's layout; the weights cannot tell)", u.AttentionHeadDim)
	} else {
		u.AttentionHeadDim = diffusers.IntList{8}
		a.note("UNet heads: 8 per block (SD 1.x's; the weights cannot tell)")
	}
	u.SampleSize = diffusers.IntList{64}
	a.note("GroupNorm groups: 32 (SD's; the weights cannot tell)")
	a.UNet = &u

	// VAE.
	vin, err := need(vaePrefix+"encoder.conv_in.weight", 4)
	if err != nil {
		return nil, err
	}
	v := diffusers.DefaultVAEConfig()
	v.ClassName, v.DiffusersVersion = "AutoencoderKL", "0.19.3"
	v.InChannels = vin[1]
	v.BlockOutChannels, v.DownBlockTypes, v.UpBlockTypes = nil, nil, nil
	for i := 0; f.hasPrefix(fmt.Sprintf("%sencoder.down.%d.", vaePrefix, i)); i++ {
		s, err := need(fmt.Sprintf("%sencoder.down.%d.block.0.conv2.weight", vaePrefix, i), 4)
		if err != nil {
			return nil, err
		}
		v.BlockOutChannels = append(v.BlockOutChannels, s[0])
		v.DownBlockTypes = append(v.DownBlockTypes, "DownEncoderBlock2D")
		v.UpBlockTypes = append(v.UpBlockTypes, "UpDecoderBlock2D")
	}
	nb := 0
	for f.hasPrefix(fmt.Sprintf("%sencoder.down.0.block.%d.", vaePrefix, nb)) {
		nb++
	}
	v.LayersPerBlock = nb
	zin, err := need(vaePrefix+"decoder.conv_in.weight", 4)
	if err != nil {
		return nil, err
	}
	v.LatentChannels = zin[1]
	vout, err := need(vaePrefix+"decoder.conv_out.weight", 4)
	if err != nil {
		return nil, err
	}
	v.OutChannels = vout[0]
	v.SampleSize = diffusers.IntList{512}
	a.note("VAE scaling factor 0.18215 (SD's)")
	a.VAE = &v

	// Text encoder.
	switch {
	case f.hasPrefix(openCLIPPrefix):
		t := sd2Text()
		s, err := need(openCLIPPrefix+"token_embedding.weight", 2)
		if err != nil {
			return nil, err
		}
		t.VocabSize, t.HiddenSize = s[0], s[1]
		layers := 0
		for f.hasPrefix(fmt.Sprintf("%stransformer.resblocks.%d.", openCLIPPrefix, layers)) {
			layers++
		}
		t.NumHiddenLayers = max(layers-1, 1)
		if fc, err := need(openCLIPPrefix+"transformer.resblocks.0.mlp.c_fc.weight", 2); err == nil {
			t.IntermediateSize = fc[0]
		}
		if p := shape(openCLIPPrefix + "positional_embedding"); len(p) == 2 {
			t.MaxPositionEmbeddings = p[0]
		}
		t.NumAttentionHeads = max(t.HiddenSize/64, 1)
		a.Text, a.PadToken = t, "!"
		a.note("text encoder: OpenCLIP (SD 2.x), %d of its %d layers (diffusers drops the last), %d heads of 64 channels, gelu", t.NumHiddenLayers, layers, t.NumAttentionHeads)
	case f.hasPrefix(clipPrefix):
		t := sd1Text()
		emb := clipPrefix + "text_model.embeddings.token_embedding.weight"
		if shape(emb) == nil {
			emb = clipPrefix + "embeddings.token_embedding.weight"
		}
		s, err := need(emb, 2)
		if err != nil {
			return nil, err
		}
		t.VocabSize, t.HiddenSize = s[0], s[1]
		pre := clipPrefix + "text_model.encoder.layers."
		if !f.hasPrefix(pre) {
			pre = clipPrefix + "encoder.layers."
		}
		layers := 0
		for f.hasPrefix(fmt.Sprintf("%s%d.", pre, layers)) {
			layers++
		}
		t.NumHiddenLayers = layers
		if fc := shape(pre + "0.mlp.fc1.weight"); len(fc) == 2 {
			t.IntermediateSize = fc[0]
		}
		t.NumAttentionHeads = max(t.HiddenSize/64, 1)
		t.ProjectionDim = t.HiddenSize
		a.Text = t
		a.note("text encoder: CLIP (SD 1.x), %d heads of 64 channels, quick_gelu", t.NumAttentionHeads)
	default:
		return nil, &Error{Path: f.Path, Msg: "no text encoder (cond_stage_model.transformer.* or cond_stage_model.model.*)"}
	}
	a.Scheduler = pndmScheduler(0.00085, 0.012, 1000, "epsilon")
	a.Family = family(&u, f.hasPrefix(openCLIPPrefix))
	if a.Family == "SD 2.x" {
		a.PredictionUnknown = true
		a.note("SD 2.x (linear projections %v, heads %v, context %d, OpenCLIP text encoder %v): the prediction type cannot be read from the weights "+
			"(768-v models: --prediction-type v_prediction; 512-base: --prediction-type epsilon; or --original-config v2-inference-v.yaml)",
			u.UseLinearProjection, u.AttentionHeadDim, ctx, f.hasPrefix(openCLIPPrefix))
	}
	for _, err := range []error{u.Validate(), v.Validate(), a.Text.Validate()} {
		if err != nil {
			return nil, &Error{Path: f.Path, Msg: "inferred an invalid architecture", Err: err}
		}
	}
	return a, nil
}

func allSame(v []int) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}
