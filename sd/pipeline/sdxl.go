package pipeline

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/clip"
)

// SDXL (StableDiffusionXLPipeline, diffusers v0.19.3). A folder is SDXL when its UNet
// takes text_embeds and time_ids; it then needs text_encoder_2/model.onnx and
// tokenizer_2/ as well (sd/models writes both when converting an SDXL diffusers folder).
// What differs from SD 1.x/2.x, done here:
//
//  1. two tokenizers: tokenizer pads with <|endoftext|>, tokenizer_2 with "!" (id 0),
//     which also makes a literal "!" id 0 (see sd/clip); prompt_2 is the prompt;
//  2. prompt_embeds = concat(hidden_states[-2] of text_encoder, hidden_states[-2] of
//     text_encoder_2) on the channel axis — the penultimate layer, before the final
//     LayerNorm (SD 1.x takes the last, normed state);
//  3. the pooled embedding (UNet input text_embeds) is text_encoder_2's text_embeds;
//  4. negatives: with no negative prompts (Request.NegativePrompts nil) and
//     force_zeros_for_empty_prompt (model_index.json; true when absent, the pipeline's
//     default) the negative embeddings and pooled embeddings are zeros and the encoders
//     run once; given negative prompts ("" included) are encoded like prompts;
//  5. time_ids = (original_size, crop top-left, target_size) = (H, W, 0, 0, H, W),
//     height first, the same for the negative rows.
//
// Guidance, the scheduler (SDXL base ships EulerDiscrete with "leading" spacing and
// steps_offset 1) and decoding (latents / 0.13025 from the VAE config) are the common code.

// hiddenStateRE matches the text encoders' hidden_states.<k> outputs.
var hiddenStateRE = regexp.MustCompile(`^hidden_states\.([0-9]+)$`)

// sdxlText is what the pipeline adds for an SDXL folder.
type sdxlText struct {
	tok1, tok2 *clip.Tokenizer
	te1, te2   *textEncoder
	pen1, pen2 string // the penultimate hidden-state outputs of te1 and te2
	pooled     string // te2's text_embeds output
	forceZeros bool   // force_zeros_for_empty_prompt
}

// loadSDXL opens text_encoder_2 and tokenizer_2 when the base UNet takes text_embeds and
// time_ids, and refuses an SDXL UNet without them (or those inputs half there).
func (p *Pipeline) loadSDXL() error {
	u := p.base
	if u.textEmbeds.Name == "" && u.timeIDs.Name == "" {
		return nil
	}
	if u.textEmbeds.Name == "" || u.timeIDs.Name == "" {
		return &FolderError{Path: p.Parts.UNet, Msg: "SDXL UNet must take both text_embeds and time_ids"}
	}
	dir := p.Parts.Dir
	xl := &sdxlText{tok1: p.tok, te1: p.text, forceZeros: true}
	te2Path := filepath.Join(dir, "text_encoder_2", "model.onnx")
	tok2Dir := filepath.Join(dir, "tokenizer_2")
	for _, f := range []string{te2Path, filepath.Join(tok2Dir, "vocab.json"), filepath.Join(tok2Dir, "merges.txt")} {
		if !isFile(f) {
			return &FolderError{Path: f, Msg: "missing: the UNet is an SDXL one (it takes text_embeds and time_ids), which needs text_encoder_2/model.onnx and tokenizer_2/"}
		}
	}
	var err error
	if xl.tok2, err = clip.Load(tok2Dir); err != nil {
		return &FolderError{Path: tok2Dir, Msg: "unusable tokenizer_2", Err: err}
	}
	s, err := p.openSession(te2Path)
	if err != nil {
		return err
	}
	if xl.te2, err = newTextEncoder(s, te2Path); err != nil {
		return err
	}
	if xl.pen1, err = penultimate(xl.te1); err != nil {
		return err
	}
	if xl.pen2, err = penultimate(xl.te2); err != nil {
		return err
	}
	if _, ok := findIO(s.Outputs(), "text_embeds"); !ok {
		return &FolderError{Path: te2Path, Msg: "text_encoder_2 has no text_embeds output (want a CLIPTextModelWithProjection export); its outputs are " + ioNames(s.Outputs())}
	}
	xl.pooled = "text_embeds"
	if mi := filepath.Join(dir, "model_index.json"); isFile(mi) {
		var idx struct {
			ForceZeros *bool `json:"force_zeros_for_empty_prompt"`
		}
		if err := readJSON(mi, &idx); err != nil {
			return err
		}
		if idx.ForceZeros != nil {
			xl.forceZeros = *idx.ForceZeros
		}
	}
	p.xl = xl
	return nil
}

// penultimate returns the name of hidden_states[-2] among te's outputs
// hidden_states.0 … hidden_states.<layers>.
func penultimate(te *textEncoder) (string, error) {
	last := -1
	for _, o := range te.s.Outputs() {
		if m := hiddenStateRE.FindStringSubmatch(o.Name); m != nil {
			k, _ := strconv.Atoi(m[1])
			last = max(last, k)
		}
	}
	if last < 1 {
		return "", &FolderError{Path: te.path, Msg: "SDXL text encoder must output its hidden states (hidden_states.0 … hidden_states.<layers>); its outputs are " + ioNames(te.s.Outputs())}
	}
	return "hidden_states." + strconv.Itoa(last-1), nil
}

// IsSDXL reports whether the pipeline is an SDXL one (see sdxl.go).
func (p *Pipeline) IsSDXL() bool { return p.xl != nil }

// conditioning returns the UNet's text conditioning for a request: the embeddings
// [uncond; cond] (or cond alone without guidance) and, for SDXL, the pooled embeddings
// in the same row order (nil otherwise).
func (p *Pipeline) conditioning(req Request, guided bool) (embeds, pooled []float32, err error) {
	if p.xl == nil {
		embeds, err = p.embeddings(req, guided)
		return embeds, nil, err
	}
	embeds, pooled, err = p.xl.encode(req.Prompts)
	if err != nil || !guided {
		return embeds, pooled, err
	}
	var ne, np []float32
	if req.NegativePrompts == nil && p.xl.forceZeros {
		ne, np = make([]float32, len(embeds)), make([]float32, len(pooled))
	} else {
		neg := req.NegativePrompts
		if neg == nil {
			neg = make([]string, len(req.Prompts))
		}
		if ne, np, err = p.xl.encode(neg); err != nil {
			return nil, nil, err
		}
	}
	return slices.Concat(ne, embeds), slices.Concat(np, pooled), nil
}

// encode returns SDXL's prompt_embeds [B, 77, D1+D2] and pooled embeddings [B, P] of texts.
func (xl *sdxlText) encode(texts []string) (embeds, pooled []float32, err error) {
	B := len(texts)
	ids1 := xl.te1.tokenizeFor(xl.tok1, texts)
	ids2 := xl.te2.tokenizeFor(xl.tok2, texts)
	o1, err := xl.te1.run(ids1, xl.pen1)
	if err != nil {
		return nil, nil, err
	}
	o2, err := xl.te2.run(ids2, xl.pen2, xl.pooled)
	if err != nil {
		return nil, nil, err
	}
	h1, h2 := o1[xl.pen1], o2[xl.pen2]
	L := int(h1.Shape[1])
	if int(h2.Shape[1]) != L {
		return nil, nil, fmt.Errorf("pipeline: SDXL text encoders give %d and %d tokens", L, h2.Shape[1])
	}
	d1, d2 := int(h1.Shape[2]), int(h2.Shape[2])
	a, b := h1.Float32s(), h2.Float32s()
	embeds = make([]float32, 0, B*L*(d1+d2))
	for r := range B * L {
		embeds = append(embeds, a[r*d1:(r+1)*d1]...)
		embeds = append(embeds, b[r*d2:(r+1)*d2]...)
	}
	return embeds, o2[xl.pooled].Float32s(), nil
}

// tokenizeFor frames texts with tok to the encoder's sequence length.
func (te *textEncoder) tokenizeFor(tok *clip.Tokenizer, texts []string) [][]int64 {
	return tok.EncodeBatch(texts, te.seqLen(tok.MaxLength()))
}

// run runs the encoder on token rows and returns the named outputs (float16 outputs are
// pre-allocated from the ids' shape and the outputs' static last dimension).
func (te *textEncoder) run(ids [][]int64, outs ...string) (map[string]*ort.Tensor, error) {
	L := len(ids[0])
	flat := make([]int64, 0, len(ids)*L)
	for _, r := range ids {
		flat = append(flat, r...)
	}
	feeds := map[string]*ort.Tensor{te.ids.Name: intTensor(te.ids.DType, []int64{int64(len(ids)), int64(L)}, flat)}
	shapes := map[string][]int64{}
	for _, o := range te.s.Outputs() {
		if o.DType != ort.Float16 { // every float16 output needs a shape, asked for or not
			continue
		}
		d := staticDim(o.Shape, len(o.Shape)-1)
		if d <= 0 {
			return nil, &FolderError{Path: te.path, Msg: fmt.Sprintf("float16 output %q has no static width", o.Name)}
		}
		if len(o.Shape) == 3 {
			shapes[o.Name] = []int64{int64(len(ids)), int64(L), d}
		} else {
			shapes[o.Name] = []int64{int64(len(ids)), d}
		}
	}
	res, err := te.s.RunWithShapes(feeds, outs, shapes)
	if err != nil {
		return nil, fmt.Errorf("pipeline: text encoder %s: %w", te.path, err)
	}
	return res, nil
}

// addSDXLFeeds adds text_embeds [n, P] and time_ids [n, 6] = (H, W, 0, 0, H, W) per row
// to the feeds of an SDXL UNet call (nothing for other UNets).
func (u *UNet) addSDXLFeeds(feeds map[string]*ort.Tensor, pooled []float32, n, H, W int) {
	if u.textEmbeds.Name == "" {
		return
	}
	feeds[u.textEmbeds.Name] = floatTensor(u.textEmbeds.DType, []int64{int64(n), int64(len(pooled) / n)}, pooled)
	ids := make([]float32, 0, 6*n)
	for range n {
		ids = append(ids, float32(H), float32(W), 0, 0, float32(H), float32(W))
	}
	feeds[u.timeIDs.Name] = floatTensor(u.timeIDs.DType, []int64{int64(n), 6}, ids)
}
