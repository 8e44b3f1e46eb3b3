package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/measure"
	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/methods/todo"
	"github.com/tomebench/tomebench/sd/models"
	"github.com/tomebench/tomebench/tome"
)

// ChildSubcommand is the hidden tomebench subcommand that runs ChildMain.
const ChildSubcommand = "__bench"

// A Job is the work of one child process: open Model (patched with ToDo when ToDo
// is set, with AgentSD when AgentSD is, else with ToMe at ToMe.Ratio when above 0),
// run Warmup untimed calls and Calls timed ones at the given batch.
type Job struct {
	Model   string             `json:"model"` // path of the UNet's model.onnx
	ToMe    tome.Options       `json:"tome"`
	ToDo    *todo.Options      `json:"todo,omitempty"`
	AgentSD *agentsd.Options   `json:"agentsd,omitempty"`
	Batch   int                `json:"batch"`
	Latent  int                `json:"latent"` // latent height = width
	Session ort.SessionOptions `json:"session"`
	// Arena, if set, registers a process-wide CPU arena (ort.RegisterCPUArena) and
	// opens the session on it.
	Arena  *ort.ArenaConfig `json:"arena,omitempty"`
	Warmup int              `json:"warmup"`
	Calls  int              `json:"calls"`
	Seed   uint64           `json:"seed"`
}

// A JobResult is what a child reports.
type JobResult struct {
	Seconds       []float64 `json:"seconds"` // each timed call
	PeakRSS       int64     `json:"peak_rss_bytes"`
	RSSOpened     int64     `json:"rss_opened_bytes"` // after opening the session
	Patched       int       `json:"patched_blocks"`
	Blocks        int       `json:"blocks"`
	ToMeMicros    int64     `json:"tome_micros,omitempty"` // profiled: the method's nodes' kernel time (IsMethodNode)
	NodeMicros    int64     `json:"node_micros,omitempty"` // profiled: all nodes' kernel time
	ProfileMicros int64     `json:"profile_micros,omitempty"`
	// LayerMicros is, when profiled, the kernel time of each transformer-block
	// layer ("<block scope>/attn1", see layerScope) in the profiled call.
	LayerMicros map[string]int64 `json:"layer_micros,omitempty"`
	// ChangedLayers are the layer scopes the method changed ("<block scope>/attn1"):
	// those ToMe and AgentSD merge around, the attn1 whose keys and values ToDo
	// downsamples.
	ChangedLayers []string `json:"changed_layers,omitempty"`
}

// RunJob does job in this process.
func RunJob(ctx context.Context, job Job) (*JobResult, error) {
	if err := ort.Init(); err != nil {
		return nil, err
	}
	m, err := onnx.Load(job.Model)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	res := &JobResult{}
	var rands []tome.RandInput // partition inputs fed on every call
	latent := [2]int{job.Latent, job.Latent}
	switch {
	case job.ToDo != nil:
		rep, err := todo.Patch(m, todo.PatchOptions{Options: *job.ToDo, Latent: latent})
		if err != nil {
			return nil, err
		}
		res.Patched, res.Blocks = rep.Patched, len(rep.Blocks)
		for _, blk := range rep.Blocks {
			if blk.Patched {
				res.ChangedLayers = append(res.ChangedLayers, blk.Scope+"/attn1")
			}
		}
	case job.AgentSD != nil:
		rep, err := agentsd.Patch(m, agentsd.PatchOptions{Options: *job.AgentSD, Latent: latent})
		if err != nil {
			return nil, err
		}
		res.Patched, res.Blocks, rands = rep.Patched, len(rep.Blocks), rep.RandInputs
		for _, blk := range rep.Blocks {
			if blk.Patched { // merged around attn1, as ToMe's default
				res.ChangedLayers = append(res.ChangedLayers, blk.Scope+"/attn1")
			}
		}
	case job.ToMe.Ratio > 0:
		rep, err := tome.Patch(m, tome.PatchOptions{Options: job.ToMe, Latent: latent})
		if err != nil {
			return nil, err
		}
		res.Patched, res.Blocks, rands = rep.Patched, len(rep.Blocks), rep.RandInputs
		for _, blk := range rep.Blocks {
			if blk.Patched {
				for _, l := range blk.Merged {
					res.ChangedLayers = append(res.ChangedLayers, blk.Scope+"/"+l)
				}
			}
		}
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	m = nil
	so := job.Session
	so.ExternalDataDir = filepath.Dir(job.Model)
	if job.Arena != nil {
		if err := ort.RegisterCPUArena(*job.Arena); err != nil {
			return nil, err
		}
		so.EnvAllocators = true
	}
	s, err := ort.NewSessionFromBytes(b, so)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	b = nil
	res.RSSOpened, _ = ort.CurrentRSS()
	in, outShape, err := feeds(s, job)
	if err != nil {
		return nil, err
	}
	part := tome.NewPartitioner(job.Seed, true)
	call := func() (float64, error) {
		for _, ri := range rands { // fresh partitions per call, as the pipeline feeds them
			in[ri.Name] = ort.NewInt64(ri.Shape(), ri.Draw(part))
		}
		start := time.Now()
		_, err := s.RunWithShapes(in, []string{models.UNetOutSample}, map[string][]int64{models.UNetOutSample: outShape})
		return time.Since(start).Seconds(), err
	}
	for i := 0; i < job.Warmup+job.Calls; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sec, err := call()
		if err != nil {
			return nil, fmt.Errorf("bench: UNet call at batch %d: %w", job.Batch, err)
		}
		if i >= job.Warmup {
			res.Seconds = append(res.Seconds, sec)
		}
	}
	res.PeakRSS, _ = ort.PeakRSS()
	if job.Session.Profile != "" {
		closed = true
		if err := s.Close(); err != nil { // writes the profile
			return nil, err
		}
		if err := readShare(job.Session.Profile, job.method(), res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// feeds makes the UNet's inputs for job: standard normal sample and text states,
// timestep 981 (the first PLMS step), in the model's element types.
func feeds(s *ort.Session, job Job) (map[string]*ort.Tensor, []int64, error) {
	rng := rand.New(rand.NewPCG(job.Seed, 2))
	randn := func(n int64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	B := int64(job.Batch)
	in := map[string]*ort.Tensor{}
	var outShape []int64
	for _, io := range s.Inputs() {
		switch io.Name {
		case models.UNetSample:
			ch := int64(4)
			if len(io.Shape) == 4 && io.Shape[1] > 0 {
				ch = io.Shape[1]
			}
			outShape = []int64{B, ch, int64(job.Latent), int64(job.Latent)}
			in[io.Name] = floatTensor(io.DType, outShape, randn(B*ch*int64(job.Latent)*int64(job.Latent)))
		case models.UNetTimestep:
			n := B
			if len(io.Shape) == 0 {
				n = 1
			}
			shape := []int64{n}
			if len(io.Shape) == 0 {
				shape = []int64{}
			}
			ts := make([]float32, n)
			for i := range ts {
				ts[i] = 981
			}
			switch io.DType {
			case ort.Int64:
				v := make([]int64, n)
				for i := range v {
					v[i] = 981
				}
				in[io.Name] = ort.NewInt64(shape, v)
			default:
				in[io.Name] = floatTensor(io.DType, shape, ts)
			}
		case models.UNetEncoderHiddenStates:
			L, D := int64(77), int64(768)
			if len(io.Shape) == 3 {
				if io.Shape[1] > 0 {
					L = io.Shape[1]
				}
				if io.Shape[2] > 0 {
					D = io.Shape[2]
				}
			}
			in[io.Name] = floatTensor(io.DType, []int64{B, L, D}, randn(B*L*D))
		case models.UNetTextEmbeds: // SDXL's pooled text embedding
			D := int64(1280)
			if len(io.Shape) == 2 && io.Shape[1] > 0 {
				D = io.Shape[1]
			}
			in[io.Name] = floatTensor(io.DType, []int64{B, D}, randn(B*D))
		case models.UNetTimeIDs: // SDXL's (original size, crop, target size) of the image
			px := float32(8 * job.Latent)
			ids := make([]float32, 0, 6*B)
			for range B {
				ids = append(ids, px, px, 0, 0, px, px)
			}
			in[io.Name] = floatTensor(io.DType, []int64{B, 6}, ids)
		default:
			if !strings.HasPrefix(io.Name, "tome_rand_idx") {
				return nil, nil, fmt.Errorf("bench: %s: unexpected UNet input %q", job.Model, io.Name)
			}
		}
	}
	if outShape == nil {
		return nil, nil, fmt.Errorf("bench: %s has no %q input: not a UNet", job.Model, models.UNetSample)
	}
	return in, outShape, nil
}

func floatTensor(dt ort.DType, shape []int64, v []float32) *ort.Tensor {
	if dt == ort.Float16 {
		return ort.NewFloat16(shape, half.Float32sToF16s(v))
	}
	return ort.NewFloat32(shape, v)
}

// method is the Row.Method job measures.
func (job Job) method() string {
	switch {
	case job.ToDo != nil:
		return MethodToDo
	case job.AgentSD != nil:
		return MethodAgentSD
	case job.ToMe.Ratio > 0:
		return MethodToMe
	}
	return MethodNone
}

// readShare fills res's profile figures from the last run in the profile; the
// method's nodes are those IsMethodNode attributes to method.
func readShare(prefix, method string, res *JobResult) error {
	files, err := ort.ProfileFiles(prefix)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("bench: ONNX Runtime wrote no profile %s*.json", prefix)
	}
	runs, err := ort.ReadProfile(files[len(files)-1])
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("bench: profile %s has no model_run", files[len(files)-1])
	}
	last := runs[len(runs)-1]
	res.ProfileMicros = last.Micros
	for _, n := range last.Nodes {
		res.NodeMicros += n.Micros
		if IsMethodNode(method, n.Node) {
			res.ToMeMicros += n.Micros
		}
		if l, ok := layerScope(n.Node); ok {
			if res.LayerMicros == nil {
				res.LayerMicros = map[string]int64{}
			}
			res.LayerMicros[l] += n.Micros
		}
	}
	return nil
}

// layerScope returns the transformer-block layer a node belongs to: its name up to
// the path element after "transformer_blocks.N" ("/up_blocks.3/attentions.0/
// transformer_blocks.0/attn1/MatMul" → "/up_blocks.3/attentions.0/
// transformer_blocks.0/attn1"), the scope tome.Patch names a merged layer by
// (BlockReport.Scope + "/" + layer).
func layerScope(node string) (string, bool) {
	i := strings.Index(node, "transformer_blocks.")
	if i < 0 {
		return "", false
	}
	parts := strings.SplitN(node[i:], "/", 3)
	if len(parts) < 3 {
		return "", false
	}
	return node[:i] + parts[0] + "/" + parts[1], true
}

// IsToMeNode reports whether a node name lies in the scope tome.Patch gives its
// nodes ("<block scope>/tome/…"); ONNX Runtime keeps the name of a node it fuses
// others into.
func IsToMeNode(name string) bool { return strings.Contains(name, "/tome/") }

// IsMethodNode reports whether a node name lies in the scopes the patch of method
// gives its own nodes: ToMe's "<block>/tome/…"; ToDo's "<block>/attn1/todo/…";
// AgentSD's merge "<block>/tome/…" (its bipartite matchings, agents' included)
// and its agent attention "<block>/attn1/agent/…". The unpatched model has none.
func IsMethodNode(method, name string) bool {
	switch method {
	case MethodToMe:
		return IsToMeNode(name)
	case MethodToDo:
		return strings.Contains(name, "/attn1/todo/")
	case MethodAgentSD:
		return IsToMeNode(name) || strings.Contains(name, "/attn1/agent/")
	}
	return false
}

// ChildMain is the body of the child process: it reads the job (JSON, --job), runs
// it and prints the JobResult as one JSON line; errors go to stderr.
func ChildMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(ChildSubcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	jobJSON := fs.String("job", "", "the Job as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var job Job
	if err := json.Unmarshal([]byte(*jobJSON), &job); err != nil {
		fmt.Fprintf(stderr, "error: bench: --job: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go measure.WatchParent(ctx, cancel)
	res, err := RunJob(ctx, job)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	json.NewEncoder(stdout).Encode(res)
	return 0
}

// runChild runs job in a child process started with argv (the executable and the
// hidden subcommand).
func runChild(ctx context.Context, argv []string, job Job, log io.Writer) (*JobResult, error) {
	b, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, argv[0], append(append([]string{}, argv[1:]...), "--job", string(b))...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 30 * time.Second
	var tail measure.TailBuffer
	if log == nil {
		log = io.Discard
	}
	cmd.Stderr = io.MultiWriter(log, &tail)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting %s: %w", argv[0], err)
	}
	var res *JobResult
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var r JobResult
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.PeakRSS != 0 {
			res = &r
			continue
		}
		fmt.Fprintln(log, sc.Text())
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		if msg := tail.LastLine(); msg != "" {
			return nil, &ChildError{Msg: msg}
		}
		return nil, &ChildError{Msg: err.Error()}
	}
	if res == nil {
		return nil, fmt.Errorf("bench: child reported no result")
	}
	return res, nil
}

// A ChildError is a measurement child that failed (for example out of memory under
// a limit).
type ChildError struct{ Msg string }

func (e *ChildError) Error() string { return "bench: child: " + e.Msg }
