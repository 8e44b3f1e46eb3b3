package experiments

// This file is the contract between the runner (which writes a run folder) and the
// reports (which read it). A run folder OUT holds:
//
//	OUT/plan.json                    Plan: the expanded config (written at every start; a
//	                                 rerun must expand to the same variants or a superset)
//	OUT/config.yaml                  the config file as given, byte for byte
//	OUT/images/<variant-id>/<index>.png   one PNG per image, index as %05d
//	OUT/records/images<S>.jsonl      ImageRecord lines, one per finished image
//	OUT/records/variants<S>.jsonl    VariantRecord lines, one per variant session
//	OUT/records/env<S>.json          Environment of the machine that ran shard S
//	OUT/metrics.json                 Metrics: FID, KID, intervals, PSNR/SSIM per variant
//
// <S> is "" for an unsharded run and ".shard-<i>-of-<n>" for shard i/n, so shards that
// share a folder never append to the same file. Every JSON file is written atomically
// (temporary file + rename); .jsonl files are appended one whole line per write, and a
// reader drops a last line without its newline (a write cut by kill -9).

// FormatVersion names the run-folder format in Plan.Format.
const FormatVersion = "tomebench-run/1"

// A Plan is a config expanded into variants: what a run does, without its results.
type Plan struct {
	Format     string         `json:"format"`
	Name       string         `json:"name"`
	ConfigFile string         `json:"config_file"` // path as given on the command line
	Model      ModelPlan      `json:"model"`
	Generation GenerationPlan `json:"generation"`
	Prompts    PromptsPlan    `json:"prompts"`
	FID        *FIDPlan       `json:"fid,omitempty"`  // nil: no FID asked for
	CLIP       *CLIPPlan      `json:"clip,omitempty"` // nil: no CLIP score asked for
	Baseline   string         `json:"baseline"`       // ID of the baseline variant ("" if none)
	Variants   []Variant      `json:"variants"`
}

// ModelPlan is the model a run uses and its content identity.
type ModelPlan struct {
	Path      string `json:"path"`      // folder or HF-cache repo id as configured
	Identity  string `json:"identity"`  // hex SHA-256 of the model's content (ModelIdentity)
	Precision string `json:"precision"` // fp32 or fp16
	// Attention is "fused" when the UNet's attention runs as ONNX Runtime's
	// MultiHeadAttention; omitted for plain attention (the default, and every run
	// folder written before the option existed).
	Attention string `json:"attention,omitempty"`
	Provider  string `json:"provider"` // cpu or cuda
	Threads   int    `json:"threads"`  // intra-op threads, 0 = ONNX Runtime's default
}

// Attention forms of ModelConfig.Attention.
const (
	AttentionPlain = "plain"
	AttentionFused = "fused"
)

// GenerationPlan holds the sampling settings shared by every variant.
type GenerationPlan struct {
	Height    int     `json:"height"`
	Width     int     `json:"width"`
	Steps     int     `json:"steps"`
	Scheduler string  `json:"scheduler"` // pndm, ddim or euler
	Guidance  float64 `json:"guidance"`
	BatchSize int     `json:"batch_size"`
	Seed      uint64  `json:"seed"` // base seed: image j starts from seed Seed+j
}

// PromptsPlan says where the prompts come from; Prompts lists every prompt by index.
type PromptsPlan struct {
	Source   string   `json:"source"`             // "imagenet" or the prompt file's path
	Template string   `json:"template,omitempty"` // imagenet: e.g. "A high quality photograph of a {}."
	PerClass int      `json:"per_class,omitempty"`
	Classes  int      `json:"classes,omitempty"`
	Prompts  []string `json:"prompts"` // prompt of image j
}

// FIDPlan is the FID evaluation asked for.
type FIDPlan struct {
	Reference string `json:"reference"` // image folder, .npz, or "baseline" (the baseline variant's images)
	Weights   string `json:"weights"`   // Inception .pth path, "formula:det", or "" (the cache)
	Dims      int    `json:"dims"`
	BatchSize int    `json:"batch_size"`
	Method    string `json:"method"` // exact or pytorch-fid
	KID       bool   `json:"kid"`
	Interval  int    `json:"interval,omitempty"` // subsample size for the FID interval (0: none)
	Reps      int    `json:"reps,omitempty"`
}

// CLIPPlan is the CLIP score asked for: torchmetrics' CLIPScore of each image against
// its own prompt, with the user's CLIP model.
type CLIPPlan struct {
	Model     string `json:"model"` // transformers CLIPModel folder or HF-cache repo id
	BatchSize int    `json:"batch_size"`
}

// ImageRecord is one finished image (a line of records/images<S>.jsonl).
type ImageRecord struct {
	Variant     string  `json:"variant"`
	Index       int     `json:"index"` // prompt index j
	Prompt      string  `json:"prompt"`
	Seed        uint64  `json:"seed"`
	File        string  `json:"file"`   // relative to the run folder, slash-separated
	SHA256      string  `json:"sha256"` // of the PNG file
	Batch       int     `json:"batch"`  // batch number: images [Batch*B, Batch*B+B)
	BatchImages int     `json:"batch_images"`
	Seconds     float64 `json:"seconds"`      // whole pipeline wall time of the batch / BatchImages
	UNetSeconds float64 `json:"unet_seconds"` // UNet calls' wall time of the batch / BatchImages
	UNetCalls   int     `json:"unet_calls"`   // UNet calls of the batch
	Shard       string  `json:"shard"`        // "i/n"
}

// VariantRecord is one session of a variant: a child process that prepared the variant's
// UNet and generated some of its images (a line of records/variants<S>.jsonl). A resumed
// variant has several.
type VariantRecord struct {
	Variant         string   `json:"variant"`
	Shard           string   `json:"shard"`
	Images          int      `json:"images"`                      // images generated in this session
	PrepareSeconds  float64  `json:"prepare_seconds"`             // open + patch the models (not in image times)
	WarmupSeconds   float64  `json:"warmup_seconds"`              // the discarded warm-up generation
	PeakRSSBytes    int64    `json:"peak_rss_bytes"`              // peak resident memory of the child process
	BaseRSSBytes    int64    `json:"base_rss_bytes"`              // resident memory after opening the models, before generating
	DevicePeakBytes int64    `json:"device_peak_bytes,omitempty"` // CUDA: GPU memory the process holds after its last batch, NVML per process (ONNX Runtime's arena does not shrink: its peak + the CUDA context); 0 on CPU
	BatchSize       int      `json:"batch_size"`
	PatchedBlocks   int      `json:"patched_blocks"` // transformer blocks ToMe patched (0 for none)
	Blocks          int      `json:"blocks"`         // transformer blocks in the UNet
	Warnings        []string `json:"warnings,omitempty"`
	Started         string   `json:"started"` // RFC 3339
	Finished        string   `json:"finished"`
}

// Environment records the machine and software that ran a shard (records/env<S>.json).
type Environment struct {
	Shard       string `json:"shard"` // "i/n"
	Hostname    string `json:"hostname"`
	OS          string `json:"os"`
	CPU         string `json:"cpu"`
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memory_bytes"`
	GPU         string `json:"gpu,omitempty"`
	Provider    string `json:"provider"`
	Threads     int    `json:"threads"`
	// Session is the ONNX Runtime settings that change time and memory
	// (ort.SessionOptions.MemorySettings: "arena=on mem_pattern=off"); absent in
	// folders written before it was recorded, whose sessions had memory patterns on.
	Session    string `json:"session,omitempty"`
	ORTVersion string `json:"ort_version"`
	GoVersion  string `json:"go_version"`
	Commit     string `json:"commit"` // the tomebench build's VCS revision ("+dirty" when modified)
	Started    string `json:"started"`
	Finished   string `json:"finished,omitempty"`
}

// Metrics are the image-quality numbers of a run (metrics.json), computed once every
// image exists.
type Metrics struct {
	Reference ReferenceInfo   `json:"reference"`
	Weights   string          `json:"weights"`
	Dims      int             `json:"dims"`
	Method    string          `json:"method"`
	Variants  []VariantMetric `json:"variants"`
	Warnings  []string        `json:"warnings,omitempty"`
}

// ReferenceInfo describes the FID reference set.
type ReferenceInfo struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"` // "images", "statistics" or "baseline"
	Images int    `json:"images,omitempty"`
	Hash   string `json:"hash"` // content hash the statistics are cached under
}

// VariantMetric holds one variant's metrics. Pointers are nil when not computed.
type VariantMetric struct {
	Variant  string    `json:"variant"`
	Images   int       `json:"images"`
	FID      *float64  `json:"fid,omitempty"`
	KID      *KIDValue `json:"kid,omitempty"`
	Interval *Interval `json:"fid_interval,omitempty"`
	// PSNR and SSIM to the baseline variant's image of the same index (nil for the
	// baseline itself or when there is none): mean and sample standard deviation.
	PSNR *MeanStd `json:"psnr,omitempty"`
	// CLIP is the CLIP score of the variant's images against their prompts.
	CLIP     *CLIPValue `json:"clip,omitempty"`
	SSIM     *MeanStd   `json:"ssim,omitempty"`
	Warnings []string   `json:"warnings,omitempty"`
}

// CLIPValue is a variant's CLIP score as torchmetrics computes it: Score = max(Mean, 0)
// with Mean the mean over images of 100·cos(image, text); Std is the sample standard
// deviation of the per-image scores; LongPrompts counts prompts over CLIP's 77 tokens
// (torchmetrics pools them all at the start token: their score means nothing).
type CLIPValue struct {
	Score       float64 `json:"score"`
	Mean        float64 `json:"mean"`
	Std         float64 `json:"std"`
	N           int     `json:"n"`
	LongPrompts int     `json:"long_prompts,omitempty"`
}

// KIDValue is a KID estimate: mean and standard deviation over subsets.
type KIDValue struct {
	Mean       float64 `json:"mean"`
	Std        float64 `json:"std"`
	Subsets    int     `json:"subsets"`
	SubsetSize int     `json:"subset_size"`
}

// Interval is the spread of FID over subsamples.
type Interval struct {
	Size  int     `json:"size"`
	Reps  int     `json:"reps"`
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// MeanStd is a mean with its sample standard deviation over N values. PSNR of
// identical images is +Inf, which JSON cannot hold: Identical counts those images and
// Mean/Std are over the others (all identical: N = 0).
type MeanStd struct {
	Mean      float64 `json:"mean"`
	Std       float64 `json:"std"`
	N         int     `json:"n"`
	Identical int     `json:"identical,omitempty"`
}

// A Variant is one point of the sweep: a method with its settings. Its ID is stable: a
// hash of everything that changes its images (VariantKey), so rerunning or extending a
// config finds the images already made.
type Variant struct {
	ID     string `json:"id"`     // 12 hex digits
	Label  string `json:"label"`  // human-readable, e.g. "tome r=0.5" or "tome 0.6→0.4"
	Method string `json:"method"` // "none", "tome", "todo", "agentsd" or "deepcache"
	// ToMe holds the ToMe options for method tome (Ratio: the constant ratio, or the
	// schedule's first ratio).
	ToMe *ToMeSettings `json:"tome,omitempty"`
	// Schedule is the ratio schedule over steps for method tome (nil: constant).
	Schedule *Schedule `json:"schedule,omitempty"`
	// ToDo, AgentSD and DeepCache hold the settings of those methods (nil otherwise).
	ToDo      *ToDoSettings      `json:"todo,omitempty"`
	AgentSD   *AgentSDSettings   `json:"agentsd,omitempty"`
	DeepCache *DeepCacheSettings `json:"deepcache,omitempty"`
	// Warnings are options that have no effect (e.g. a ratio above 1-1/(sx*sy)).
	Warnings []string `json:"warnings,omitempty"`
}

// ToMeSettings are tomesd.apply_patch's options with tomesd's names.
type ToMeSettings struct {
	Ratio          float64 `json:"ratio"`
	MaxDownsample  int     `json:"max_downsample"`
	SX             int     `json:"sx"`
	SY             int     `json:"sy"`
	UseRand        bool    `json:"use_rand"`
	MergeAttn      bool    `json:"merge_attn"`
	MergeCrossAttn bool    `json:"merge_crossattn"`
	MergeMLP       bool    `json:"merge_mlp"`
}

// ToDoSettings are ToDo's (token downsampling of attn1's keys and values): Factor per
// side at depth 1 (and at depth 2 when MaxDownsample is 2), Interp "nearest-exact" or
// "nearest".
type ToDoSettings struct {
	Factor        int    `json:"factor"`
	MaxDownsample int    `json:"max_downsample"`
	Interp        string `json:"interp"`
}

// AgentSDSettings are AgentSD's: tomesd's merge (Ratio, SX, SY, MaxDownsample, random
// partitions) plus agent tokens, AgentRatio of the block's tokens.
type AgentSDSettings struct {
	Ratio         float64 `json:"ratio"`
	SX            int     `json:"sx"`
	SY            int     `json:"sy"`
	AgentRatio    float64 `json:"agent_ratio"`
	MaxDownsample int     `json:"max_downsample"`
}

// DeepCacheSettings are DeepCache's: a full UNet call every Interval steps, partial
// calls that reuse the cached feature of skip branch Branch in between.
type DeepCacheSettings struct {
	Interval int `json:"interval"`
	Branch   int `json:"branch"`
}

// A Schedule varies the merge ratio over the denoising steps.
//
//	linear:    ratio(step) = From + (To-From)*step/(steps-1), rounded to Quantum
//	two-phase: From for steps [0, Switch), To from step Switch on
type Schedule struct {
	Kind    string  `json:"kind"` // "linear" or "two-phase"
	From    float64 `json:"from"`
	To      float64 `json:"to"`
	Switch  int     `json:"switch,omitempty"`  // two-phase: first step of the second phase
	Quantum float64 `json:"quantum,omitempty"` // linear: ratios are rounded to multiples of it
}
