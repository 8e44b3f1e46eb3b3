package agentsd

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/methods"
	"github.com/tomebench/tomebench/tome"
)

// MethodName is the method's name in a patched model's metadata record.
const MethodName = "agentsd"

// A Report says what Patch found and did (or, from Inspect, would do).
type Report struct {
	// LatentH and LatentW are the latent size the blocks were planned for.
	LatentH, LatentW int
	// Blocks lists every transformer block found, in execution order.
	Blocks []BlockReport
	// RandInputs are the partition inputs (tome_rand_idx_<k>), one per patched block
	// in execution order, when UseRand is on; feed Draws(p) on every UNet call.
	RandInputs []tome.RandInput
	// Patched is the number of blocks merged; Agents how many of them use agents.
	Patched, Agents int
	// OpsetFrom and OpsetTo are the model's ai.onnx opset before and after;
	// OpsChecked the op types checked to keep their meaning.
	OpsetFrom, OpsetTo int64
	OpsChecked         []string
	// Warnings explain blocks left alone and anything else the user should know.
	Warnings []error
}

// A BlockReport describes one transformer block.
type BlockReport struct {
	Scope, Name         string
	N, Downsample, H, W int
	// R is the number of tokens merged away, AgentR the agents' merge count and
	// NumAgents = N − AgentR when Agent is true.
	R, AgentR, NumAgents int
	Agent                bool
	Patched              bool
	Reason               string
	RandInput            string // "" without UseRand
}

// Draws returns one fresh partition per rand input, drawn from p in execution order
// (as tome.Report.Draws). Call it once per UNet call.
func (r Report) Draws(p *tome.Partitioner) map[string][]int64 {
	return tome.Report{RandInputs: r.RandInputs}.Draws(p)
}

// A FindError reports an attn1 whose structure the agent rewrite does not recognise.
type FindError struct{ Scope, Problem string }

func (e *FindError) Error() string { return fmt.Sprintf("agentsd: block %s: %s", e.Scope, e.Problem) }

// Inspect reports what Patch would do, without changing m. A model whose opset Patch
// could not raise is reported with a warning.
func Inspect(m *onnx.Model, opts PatchOptions) (Report, error) {
	rep, _, _, err := plan(m, opts)
	if _, ok := err.(*tome.OpsetError); ok {
		rep.Warnings = append(rep.Warnings, err)
		err = nil
	}
	return rep, err
}

// Patch inserts AgentSD into the UNet m, in place: in every eligible block
// norm1's output is merged before attn1 and unmerged after it, as tome.Patch does
// with merge_attn only, and where Options.Agents holds attn1's core becomes agent
// attention on agent tokens from the same matching. The opset is raised to
// tome.PatchOpset when lower. With no block to patch m is left unchanged.
// Structural surprises come back as *FindError (or tome's errors); m is then
// unchanged.
func Patch(m *onnx.Model, opts PatchOptions) (Report, error) {
	rep, sites, attn, err := plan(m, opts)
	if err != nil || rep.Patched == 0 {
		return rep, err
	}
	g := m.Graph()
	tome.RaiseOpset(m, tome.PatchOpset)
	if sites.Restate {
		sites.RestateLatent(g)
	}
	o := opts.Options
	for i, br := range rep.Blocks {
		if !br.Patched {
			continue
		}
		s := sites.Blocks[i]
		st, _ := s.Stage("attn1")
		tome.DropShapeHints(g, s.Scope, "attn1")
		b := onnx.NewBuilder(g, m.Opset()).Scope(s.Scope[1:] + "/tome")
		Nd := (br.H / o.SY) * (br.W / o.SX)
		aIdx, bIdx := tome.EmitPartition(b, s.Input, br.RandInput, br.H, br.W, o.SX, o.SY)
		mt := tome.EmitMatching(b, s.Input, aIdx, bIdx, br.N, Nd, br.R)
		lb := b.Scope("attn1")
		merged := mt.Merge(lb, st.NormOut)
		for _, r := range st.Readers {
			for j, in := range r.Input {
				if in == st.NormOut {
					r.Input[j] = merged
				}
			}
		}
		unmerged := mt.Unmerge(lb, st.Out)
		for j, in := range st.Add.Input {
			if in == st.Out {
				st.Add.Input[j] = unmerged
			}
		}
		g.Invalidate()
		if br.Agent {
			ab := b.Scope("agent")
			agents := tome.EmitMatching(ab, s.Input, aIdx, bIdx, br.N, Nd, br.AgentR).Merge(ab, st.NormOut)
			out := emitAgentAttention(onnx.NewBuilder(g, m.Opset()).Scope(s.Scope[1:]+"/attn1/agent"), attn[i], agents, o)
			replaceCore(g, attn[i], out)
		}
	}
	for _, in := range rep.RandInputs {
		g.AddInput(in.Name, onnx.Int64, in.Shape())
	}
	if rep.Agents > 0 {
		g.Cleanup() // the replaced attention cores
	}
	if err := g.TopoSort(); err != nil {
		return rep, fmt.Errorf("agentsd: patched graph: %w", err)
	}
	methods.SetRecord(m, MethodName, o, [2]int{rep.LatentH, rep.LatentW}, rep.Patched)
	return rep, nil
}

// plan finds the blocks and decides each as agentsd.patch.compute_merge does.
func plan(m *onnx.Model, opts PatchOptions) (Report, tome.Sites, []attnSite, error) {
	if err := opts.Validate(); err != nil {
		return Report{}, tome.Sites{}, nil, err
	}
	rep := Report{OpsetFrom: m.Opset(), OpsetTo: m.Opset()}
	sites, err := tome.FindSites(m, opts.Latent)
	if err != nil {
		return rep, sites, nil, err
	}
	o := opts.Options
	g := m.Graph()
	rep.LatentH, rep.LatentW, rep.Warnings = sites.LatentH, sites.LatentW, sites.Warnings
	attn := make([]attnSite, len(sites.Blocks))
	for i, s := range sites.Blocks {
		br := BlockReport{Scope: s.Scope, Name: s.Name, N: s.N, Downsample: s.Downsample, H: s.H, W: s.W}
		Nd := 0
		if s.H > 0 {
			Nd = (s.H / o.SY) * (s.W / o.SX)
		}
		switch {
		case s.N == 0:
			br.Reason = "token count unknown"
		case s.Downsample < 1 || s.Downsample > o.MaxDownsample:
			br.Reason = fmt.Sprintf("downsample %d > max_downsample %d", s.Downsample, o.MaxDownsample)
		case s.H*s.W != s.N:
			br.Reason = fmt.Sprintf("token grid %dx%d does not hold its N = %d tokens", s.H, s.W, s.N)
		case Nd == 0:
			br.Reason = fmt.Sprintf("no whole %dx%d cell in the %dx%d grid", o.SY, o.SX, s.H, s.W)
		}
		if br.Reason == "" {
			br.R, br.AgentR, br.Agent = o.Agents(s.N, s.N-Nd)
			if br.R <= 0 {
				br.Reason, br.Agent = fmt.Sprintf("r = int(%d * %g) = 0 (upstream crashes; left unchanged)", s.N, o.Ratio), false
			}
		}
		if br.Reason == "" {
			if br.Agent {
				if attn[i], err = findAttn(m, g, s); err != nil {
					return rep, sites, nil, err
				}
				br.NumAgents = s.N - br.AgentR
				rep.Agents++
			}
			if o.UseRand {
				br.RandInput = tome.RandInputName(len(rep.RandInputs))
				rep.RandInputs = append(rep.RandInputs, tome.RandInput{Name: br.RandInput, Block: br.Name, H: s.H, W: s.W, SX: o.SX, SY: o.SY})
			}
			br.Patched = true
			rep.Patched++
		}
		rep.Blocks = append(rep.Blocks, br)
	}
	if rep.Patched == 0 {
		if len(sites.Blocks) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Errorf("agentsd: no block patched (ratio %g, max_downsample %d): the model is unchanged", o.Ratio, o.MaxDownsample))
		}
		return rep, sites, attn, nil
	}
	if sites.Restate {
		rep.Warnings = append(rep.Warnings, &tome.FixedLatentWarning{H: sites.LatentH, W: sites.LatentW})
	}
	if rep.OpsChecked, err = tome.CheckOpsetRaise(m, tome.PatchOpset); err != nil {
		return rep, sites, attn, err
	}
	rep.OpsetTo = max(rep.OpsetFrom, tome.PatchOpset)
	return rep, sites, attn, nil
}
