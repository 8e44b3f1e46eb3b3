// The sweep's other methods beside ToMe: ToDo, AgentSD and DeepCache — their options,
// expansion and labels.

package experiments

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// The other methods (Variant.Method).
const (
	MethodToDo      = "todo"      // token downsampling of attn1's keys and values (Smith et al. 2024)
	MethodAgentSD   = "agentsd"   // ToMe + agent attention (Han et al. 2024)
	MethodDeepCache = "deepcache" // reuse of cached high-level features (Ma et al. 2023)
)

// otherOptions lists each method's options (besides method).
var otherOptions = map[string][]string{
	MethodToDo:      {"factor", "max_downsample", "interp"},
	MethodAgentSD:   {"ratio", "sx", "sy", "agent_ratio", "max_downsample"},
	MethodDeepCache: {"interval", "branch"},
}

// otherMethod decodes the options of a todo, agentsd or deepcache entry into se, each a
// scalar or a list (a grid, like tome's). Defaults are the references': ToDo factor 2
// at depth 1 with nearest-exact; AgentSD the README's phase 1 (ratio 0.4, sx = sy = 4,
// agent_ratio 0.95); DeepCache interval 3 at branch 0 (the helper's).
func (d *decoder) otherMethod(e *yaml.Node, key string, se *SweepEntry) {
	allowed := append([]string{"method"}, otherOptions[se.Method]...)
	m := d.mapping(e, key, allowed...)
	if d.err != nil {
		return
	}
	ints := func(k string, lo, hi, def int) []int { return d.intsOf(m, key, k, lo, hi, def) }
	floats := func(k string, lo, hi, def float64) []float64 { return d.floatsOf(m, key, k, lo, hi, def) }
	switch se.Method {
	case MethodToDo:
		se.Factor = ints("factor", 1, 16, 2)
		se.MaxDownsample = ints("max_downsample", 1, 2, 1)
		se.Interp = []string{"nearest-exact"}
		if v := m.get("interp"); v != nil {
			se.Interp = nil
			d.list(v, key+".interp", func(x *yaml.Node, kk string) {
				se.Interp = append(se.Interp, d.oneOf(x, kk, "nearest-exact", "nearest"))
			})
		}
	case MethodAgentSD:
		se.Ratio = floats("ratio", 0, 1, 0.4)
		se.SX = ints("sx", 1, 64, 4)
		se.SY = ints("sy", 1, 64, 4)
		se.AgentRatio = floats("agent_ratio", 0, 1, 0.95)
		se.MaxDownsample = ints("max_downsample", 1, 8, 1)
		for _, r := range se.Ratio {
			if r == 0 && d.err == nil {
				d.fail(m.get("ratio"), key+".ratio", "0: AgentSD needs merged tokens (upstream crashes at ratio 0); use method none")
			}
		}
		for _, sx := range se.SX {
			for _, sy := range se.SY {
				if sx*sy < 2 && d.err == nil {
					d.fail(e, key+".sx/sy", fmt.Sprintf("sx*sy = %d: every token is a dst, nothing can merge", sx*sy))
				}
			}
		}
	case MethodDeepCache:
		se.Interval = ints("interval", 1, 1000, 3)
		se.Branch = ints("branch", 0, 11, 0)
	}
}

// expandOther returns the variants of a todo, agentsd or deepcache entry: the Cartesian
// product of its option lists, in the order of otherOptions (first outermost).
func expandOther(se SweepEntry) []Variant {
	var out []Variant
	switch se.Method {
	case MethodToDo:
		for _, f := range se.Factor {
			for _, md := range se.MaxDownsample {
				for _, in := range se.Interp {
					out = append(out, Variant{Method: MethodToDo, ToDo: &ToDoSettings{Factor: f, MaxDownsample: md, Interp: in}})
				}
			}
		}
	case MethodAgentSD:
		for _, r := range se.Ratio {
			for _, sx := range se.SX {
				for _, sy := range se.SY {
					for _, a := range se.AgentRatio {
						for _, md := range se.MaxDownsample {
							out = append(out, Variant{Method: MethodAgentSD, AgentSD: &AgentSDSettings{
								Ratio: r, SX: sx, SY: sy, AgentRatio: a, MaxDownsample: md}})
						}
					}
				}
			}
		}
	case MethodDeepCache:
		for _, n := range se.Interval {
			for _, b := range se.Branch {
				out = append(out, Variant{Method: MethodDeepCache, DeepCache: &DeepCacheSettings{Interval: n, Branch: b}})
			}
		}
	}
	return out
}

// otherCount is the number of variants expandOther makes.
func otherCount(se SweepEntry) int {
	switch se.Method {
	case MethodToDo:
		return len(se.Factor) * len(se.MaxDownsample) * len(se.Interp)
	case MethodAgentSD:
		return len(se.Ratio) * len(se.SX) * len(se.SY) * len(se.AgentRatio) * len(se.MaxDownsample)
	case MethodDeepCache:
		return len(se.Interval) * len(se.Branch)
	}
	return 0
}

// otherLabel is the label of a todo, agentsd or deepcache variant: "todo f=2",
// "agentsd r=0.4 a=0.95 sx=4 sy=4", "deepcache N=3"; options at their defaults are
// left out where the method has one.
func otherLabel(v Variant) (string, bool) {
	var b strings.Builder
	switch {
	case v.ToDo != nil:
		t := v.ToDo
		fmt.Fprintf(&b, "todo f=%d", t.Factor)
		if t.MaxDownsample != 1 {
			fmt.Fprintf(&b, " md=%d", t.MaxDownsample)
		}
		if t.Interp != "nearest-exact" {
			b.WriteString(" " + t.Interp)
		}
	case v.AgentSD != nil:
		a := v.AgentSD
		fmt.Fprintf(&b, "agentsd r=%s a=%s sx=%d sy=%d", fmtRatio(a.Ratio), fmtRatio(a.AgentRatio), a.SX, a.SY)
		if a.MaxDownsample != 1 {
			fmt.Fprintf(&b, " md=%d", a.MaxDownsample)
		}
	case v.DeepCache != nil:
		fmt.Fprintf(&b, "deepcache N=%d", v.DeepCache.Interval)
		if v.DeepCache.Branch != 0 {
			fmt.Fprintf(&b, " b=%d", v.DeepCache.Branch)
		}
	default:
		return "", false
	}
	return b.String(), true
}
