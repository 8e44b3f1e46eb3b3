package clipscore

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/clip"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// Options configure Open.
type Options struct {
	// Session configures ONNX Runtime (threads, provider).
	Session ort.SessionOptions
	// BatchSize is the most images (or prompts) per network call; 0 means 32.
	BatchSize int
}

// A Model is a CLIPModel's two towers opened in ONNX Runtime, with its image processor
// and tokenizer. Its methods must not be called concurrently.
type Model struct {
	dir          string
	cfg          *Config
	proc         *Processor
	tok          *clip.Tokenizer
	vision, text *ort.Session
	batch        int
	textCache    map[string][]float32
}

// A Pair is one image file and the prompt it is scored against.
type Pair struct {
	Image  string `json:"image"`
	Prompt string `json:"prompt"`
}

// Open reads the CLIPModel at ref — a folder, or a Hugging Face repo id
// ("openai/clip-vit-large-patch14", optionally "@revision") found in the local cache,
// never downloaded — builds both towers and opens them in ONNX Runtime (initialising
// it). The folder holds config.json, preprocessor_config.json, model.safetensors or
// pytorch_model.bin, and the tokenizer (vocab.json, merges.txt); each problem is an
// error naming its file.
func Open(ref string, opts Options) (*Model, error) {
	if opts.BatchSize < 0 {
		panic("clipscore: negative batch size")
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 32
	}
	dir, err := diffusers.Resolve(ref)
	if err != nil {
		return nil, fmt.Errorf("clipscore: model %s: %w", ref, err)
	}
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	ppath := filepath.Join(dir, "preprocessor_config.json")
	pcfg, err := ReadProcessorConfig(ppath)
	if err != nil {
		return nil, err
	}
	if pcfg.CropH != cfg.Vision.ImageSize || pcfg.CropW != cfg.Vision.ImageSize {
		return nil, &ConfigError{File: ppath, Msg: fmt.Sprintf("crop_size %dx%d differs from the vision tower's image_size %d",
			pcfg.CropW, pcfg.CropH, cfg.Vision.ImageSize)}
	}
	if pcfg.DoResize && (pcfg.CropH > pcfg.ShortestEdge || pcfg.CropW > pcfg.ShortestEdge) {
		return nil, &ConfigError{File: ppath, Msg: fmt.Sprintf("crop_size %dx%d larger than size %d is not supported",
			pcfg.CropW, pcfg.CropH, pcfg.ShortestEdge)}
	}
	tok, err := clip.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("clipscore: tokenizer: %w", err)
	}
	if tok.EndID() >= cfg.Text.VocabSize || tok.StartID() >= cfg.Text.VocabSize {
		return nil, fmt.Errorf("clipscore: %s: tokenizer ids up to %d do not fit the text tower's vocab_size %d",
			filepath.Join(dir, "vocab.json"), max(tok.EndID(), tok.StartID()), cfg.Text.VocabSize)
	}
	w, err := openWeights(dir)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	m := &Model{dir: dir, cfg: cfg, proc: NewProcessor(*pcfg), tok: tok, batch: opts.BatchSize, textCache: map[string][]float32{}}
	if m.vision, err = openSession(buildVision, cfg, w, opts.Session); err != nil {
		return nil, err
	}
	if m.text, err = openSession(buildText, cfg, w, opts.Session); err != nil {
		m.vision.Close()
		return nil, err
	}
	return m, nil
}

func openSession(build func(*Config, *weights) (*onnx.Model, error), cfg *Config, w *weights, so ort.SessionOptions) (*ort.Session, error) {
	om, err := build(cfg, w)
	if err != nil {
		return nil, err
	}
	b, err := om.Marshal()
	if err != nil {
		return nil, err
	}
	if err := ort.Init(); err != nil {
		return nil, err
	}
	return ort.NewSessionFromBytes(b, so)
}

// Close releases the ONNX Runtime sessions.
func (m *Model) Close() error {
	err := m.vision.Close()
	if e := m.text.Close(); err == nil {
		err = e
	}
	return err
}

// Dir is the model folder.
func (m *Model) Dir() string { return m.dir }

// Config returns the model's config.
func (m *Model) Config() *Config { return m.cfg }

// Processor returns the image processor.
func (m *Model) Processor() *Processor { return m.proc }

// Tokenizer returns the tokenizer.
func (m *Model) Tokenizer() *clip.Tokenizer { return m.tok }

// ImageEmbeddings returns get_image_features of each image (unnormalised,
// projection_dim values each), preprocessed as CLIPImageProcessor does.
func (m *Model) ImageEmbeddings(images []*Image) ([][]float32, error) {
	out := make([][]float32, 0, len(images))
	s := m.cfg.Vision.ImageSize
	for lo := 0; lo < len(images); lo += m.batch {
		hi := min(lo+m.batch, len(images))
		data := make([]float32, 0, (hi-lo)*3*s*s)
		for _, im := range images[lo:hi] {
			data = append(data, m.proc.PixelValues(im)...)
		}
		rows, err := m.PixelEmbeddings(data, hi-lo)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// PixelEmbeddings runs the vision tower on n images of pixel_values, float32
// [n, 3, image_size, image_size].
func (m *Model) PixelEmbeddings(pixelValues []float32, n int) ([][]float32, error) {
	s := int64(m.cfg.Vision.ImageSize)
	res, err := m.vision.Run(map[string]*ort.Tensor{PixelValues: ort.NewFloat32([]int64{int64(n), 3, s, s}, pixelValues)}, []string{ImageEmbeds})
	if err != nil {
		return nil, err
	}
	return m.rows(res[ImageEmbeds].Float32s(), n), nil
}

// TokenEmbeddings runs the text tower on rows of input ids of one width (at most
// max_position_embeddings), as Tokenize makes them.
func (m *Model) TokenEmbeddings(ids [][]int64) ([][]float32, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	width := len(ids[0])
	flat := make([]int64, 0, len(ids)*width)
	for _, r := range ids {
		if len(r) != width || width > m.cfg.Text.MaxPositionEmbeddings {
			panic(fmt.Sprintf("clipscore: token rows of width %d and %d (max %d)", width, len(r), m.cfg.Text.MaxPositionEmbeddings))
		}
		flat = append(flat, r...)
	}
	res, err := m.text.Run(map[string]*ort.Tensor{InputIDs: ort.NewInt64([]int64{int64(len(ids)), int64(width)}, flat)}, []string{TextEmbeds})
	if err != nil {
		return nil, err
	}
	return m.rows(res[TextEmbeds].Float32s(), len(ids)), nil
}

func (m *Model) rows(f []float32, n int) [][]float32 {
	d := m.cfg.ProjectionDim
	out := make([][]float32, n)
	for i := range out {
		out[i] = f[i*d : (i+1)*d : (i+1)*d]
	}
	return out
}

// TextEmbeddings returns get_text_features of each prompt (unnormalised), tokenised
// as torchmetrics does (Tokenize), and which prompts were too long. Embeddings of
// prompts seen before by this Model are reused.
func (m *Model) TextEmbeddings(prompts []string) (emb [][]float32, long []bool, err error) {
	emb = make([][]float32, len(prompts))
	long = make([]bool, len(prompts))
	maxPos := m.cfg.Text.MaxPositionEmbeddings
	var todo []string
	seen := map[string]bool{}
	for i, p := range prompts {
		long[i] = len(m.tok.Encode(p))+2 > maxPos
		if _, ok := m.textCache[p]; !ok && !seen[p] {
			todo = append(todo, p)
			seen[p] = true
		}
	}
	for lo := 0; lo < len(todo); lo += m.batch {
		batch := todo[lo:min(lo+m.batch, len(todo))]
		rows, err := m.TokenEmbeddings(Tokenize(m.tok, batch, maxPos).IDs)
		if err != nil {
			return nil, nil, err
		}
		for k, p := range batch {
			m.textCache[p] = rows[k]
		}
	}
	for i, p := range prompts {
		emb[i] = m.textCache[p]
	}
	return emb, long, nil
}

// Score scores images[i] against prompts[i] for every i.
func (m *Model) Score(images []*Image, prompts []string) (*Result, error) {
	if len(images) != len(prompts) {
		return nil, fmt.Errorf("clipscore: %d images and %d prompts", len(images), len(prompts))
	}
	ie, err := m.ImageEmbeddings(images)
	if err != nil {
		return nil, err
	}
	return m.finish(ie, prompts)
}

func (m *Model) finish(ie [][]float32, prompts []string) (*Result, error) {
	te, long, err := m.TextEmbeddings(prompts)
	if err != nil {
		return nil, err
	}
	r := ScoreEmbeddings(ie, te)
	example := ""
	for i, l := range long {
		if l {
			if example == "" {
				example = prompts[i]
			}
			r.LongPrompts = append(r.LongPrompts, i)
		}
	}
	if len(r.LongPrompts) > 0 {
		r.Warnings = append(r.Warnings, longCaptionWarning(len(r.LongPrompts), m.cfg.Text.MaxPositionEmbeddings, example))
	}
	return r, nil
}

// ScoreFiles decodes each pair's image (LoadImage) and scores the pairs, batch by
// batch so that only one batch of images is in memory. It stops at the first error
// and returns ctx.Err() once ctx is done. progress, if not nil, is called with the
// number of images embedded so far.
func (m *Model) ScoreFiles(ctx context.Context, pairs []Pair, progress func(done, total int)) (*Result, error) {
	ie := make([][]float32, 0, len(pairs))
	prompts := make([]string, len(pairs))
	for i, p := range pairs {
		prompts[i] = p.Prompt
	}
	for lo := 0; lo < len(pairs); lo += m.batch {
		hi := min(lo+m.batch, len(pairs))
		ims := make([]*Image, 0, hi-lo)
		for _, p := range pairs[lo:hi] {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			im, err := LoadImage(p.Image)
			if err != nil {
				return nil, fmt.Errorf("clipscore: %w", err)
			}
			ims = append(ims, im)
		}
		rows, err := m.ImageEmbeddings(ims)
		if err != nil {
			return nil, err
		}
		ie = append(ie, rows...)
		if progress != nil {
			progress(hi, len(pairs))
		}
	}
	return m.finish(ie, prompts)
}
