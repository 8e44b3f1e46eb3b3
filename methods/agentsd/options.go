package agentsd

import (
	"fmt"
	"math"

	"github.com/tomebench/tomebench/tome"
)

// Options are the settings of agentsd.apply_patch(model, ratio, max_downsample, sx,
// sy, agent_ratio, k_scale2, k_shortcut, use_rand), with the same meanings and
// defaults ([DefaultOptions]). Merging is around self-attention only (upstream's
// merge_attn; merge_crossattn with agents fails upstream and merge_mlp is "very not
// recommended", so neither is offered).
type Options struct {
	// Ratio is the fraction of a block's tokens merged away: r = int(N·Ratio), at most
	// the number of src tokens (ToMe's r).
	Ratio float64 `json:"ratio"`
	// MaxDownsample patches only blocks whose grid is at most this many times
	// smaller per side than the latent (1: the full-resolution blocks).
	MaxDownsample int `json:"max_downsample"`
	// SX and SY are the partition strides: one dst token per SY×SX cell.
	SX int `json:"sx"`
	SY int `json:"sy"`
	// AgentRatio sets the agent tokens' merge: agent_r = min(int(N·AgentRatio), Ns),
	// N − agent_r agents.
	AgentRatio float64 `json:"agent_ratio"`
	// KScale2 and KShortcut are the agent attention's second-softmax scale exponent
	// and the V shortcut weight.
	KScale2   float64 `json:"k_scale2"`
	KShortcut float64 `json:"k_shortcut"`
	// UseRand draws each cell's dst at random (partition inputs), forced off for
	// odd batches, as in ToMe.
	UseRand bool `json:"use_rand"`
}

// DefaultOptions returns apply_patch's defaults: ratio 0.5, max_downsample 1,
// sx = sy = 2, agent_ratio 0.8, k_scale2 0.3, k_shortcut 0.075, use_rand on. With
// them no block uses agents (see [Agents]): they are ToMe.
func DefaultOptions() Options {
	return Options{Ratio: 0.5, MaxDownsample: 1, SX: 2, SY: 2, AgentRatio: 0.8, KScale2: 0.3, KShortcut: 0.075, UseRand: true}
}

// PhaseSwitchStep is the sampling step at which the README's schedule moves from
// phase 1 to phase 2: steps 0–19 use Phases(o)[0], steps from 20 on Phases(o)[1].
const PhaseSwitchStep = 20

// Phases returns the README's two-phase schedule (agentsd/README.md) on top of
// base's max_downsample, k_scale2, k_shortcut and use_rand:
//
//	phase 1 (steps 0–19): sx = sy = 4, ratio 0.4, agent_ratio 0.95 (agents at 64×64)
//	phase 2 (steps 20–):  sx = sy = 2, ratio 0.4, agent_ratio 0.5  (no agents: ToMe)
//
// A runner patches one UNet per phase and calls the one [PhaseAt] names. Upstream's
// second apply_patch re-forks its partition generator; with partitions fed as inputs
// the runner simply keeps drawing from its own Partitioner.
func Phases(base Options) [2]Options {
	p1, p2 := base, base
	p1.SX, p1.SY, p1.Ratio, p1.AgentRatio = 4, 4, 0.4, 0.95
	p2.SX, p2.SY, p2.Ratio, p2.AgentRatio = 2, 2, 0.4, 0.5
	return [2]Options{p1, p2}
}

// PhaseAt returns the phase (0 or 1) of the sampling step (0-based loop index).
func PhaseAt(step int) int {
	if step < PhaseSwitchStep {
		return 0
	}
	return 1
}

// Validate reports the first setting AgentSD cannot run with.
func (o Options) Validate() error {
	if err := o.ToMe().Validate(); err != nil {
		return fmt.Errorf("agentsd: %w", err)
	}
	switch {
	case math.IsNaN(o.AgentRatio) || o.AgentRatio < 0 || o.AgentRatio > 1:
		return fmt.Errorf("agentsd: agent_ratio %v is outside [0, 1]", o.AgentRatio)
	case math.IsNaN(o.KScale2) || math.IsInf(o.KScale2, 0):
		return fmt.Errorf("agentsd: k_scale2 %v is not finite", o.KScale2)
	case math.IsNaN(o.KShortcut) || math.IsInf(o.KShortcut, 0):
		return fmt.Errorf("agentsd: k_shortcut %v is not finite", o.KShortcut)
	}
	return nil
}

// ToMe returns the ToMe options of the merge AgentSD shares with tomesd (merge_attn
// only). A runner uses them to draw partitions: ToMe().UseRandFor(batch).
func (o Options) ToMe() tome.Options {
	return tome.Options{Ratio: o.Ratio, MaxDownsample: o.MaxDownsample, SX: o.SX, SY: o.SY, UseRand: o.UseRand, MergeAttn: true}
}

// Agents reports, for a block of N tokens of which Ns are src, r and agent_r and
// whether it uses agent attention: agent_r = min(int(N·AgentRatio), Ns) and
// (N − agent_r)·2 < N − r (agentsd/patch.py: agent.shape[1]·2 < x.shape[1]).
func (o Options) Agents(N, Ns int) (r, agentR int, use bool) {
	r = tome.NumMerged(N, o.Ratio, Ns)
	agentR = tome.NumMerged(N, o.AgentRatio, Ns)
	return r, agentR, (N-agentR)*2 < N-r
}

// PatchOptions are the settings of Patch: AgentSD's options and the latent size the
// model is planned for (zero: the sample input's static size).
type PatchOptions struct {
	Options
	Latent [2]int `json:"latent"`
}
