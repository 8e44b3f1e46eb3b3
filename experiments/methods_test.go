package experiments

import (
	"slices"
	"strings"
	"testing"
)

// TestOtherMethodsExpand: todo, agentsd and deepcache entries expand to their grids with
// the references' defaults, and a tome/none variant keeps the ID it had before these
// methods existed (their key fields are omitted when nil).
func TestOtherMethodsExpand(t *testing.T) {
	text := `name: methods
model: {synth: {arch: tiny, seed: 1}}
prompts: {imagenet: {classes: 2}}
sweep:
  - method: none
  - method: tome
    ratio: 0.5
  - method: todo
    factor: [2, 3]
  - method: agentsd
  - method: deepcache
    interval: [3, 5]
    branch: [0, 1]
`
	c, err := Parse("methods.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Expand("model-identity")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, v := range p.Variants {
		labels = append(labels, v.Label)
	}
	want := []string{"none", "tome r=0.5", "todo f=2", "todo f=3", "agentsd r=0.4 a=0.95 sx=4 sy=4",
		"deepcache N=3", "deepcache N=3 b=1", "deepcache N=5", "deepcache N=5 b=1"}
	if !slices.Equal(labels, want) {
		t.Fatalf("labels %q\nwant %q", labels, want)
	}
	if a := p.Variants[4].AgentSD; a == nil || *a != (AgentSDSettings{Ratio: 0.4, SX: 4, SY: 4, AgentRatio: 0.95, MaxDownsample: 1}) {
		t.Errorf("agentsd defaults: %+v", a)
	}
	if d := p.Variants[2].ToDo; d == nil || *d != (ToDoSettings{Factor: 2, MaxDownsample: 1, Interp: "nearest-exact"}) {
		t.Errorf("todo defaults: %+v", d)
	}
	// IDs: the canonical key of a tome variant has no todo/agentsd/deepcache fields.
	k := string(KeyOf(p.Model, p.Generation, p.Variants[1]).canonical())
	for _, f := range []string{"todo", "agentsd", "deepcache"} {
		if strings.Contains(k, `"`+f+`"`) {
			t.Errorf("tome key mentions %s: %s", f, k)
		}
	}
	ids := map[string]bool{}
	for _, v := range p.Variants {
		if ids[v.ID] {
			t.Errorf("duplicate ID %s", v.ID)
		}
		ids[v.ID] = true
	}
}
