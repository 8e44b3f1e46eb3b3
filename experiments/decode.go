// A strict YAML decoder over yaml.Node: every value checked, every error with its line.

package experiments

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A decoder walks the yaml.Node tree and keeps the first error.
type decoder struct {
	file  string
	steps int            // generation.steps, for two_phase schedules
	lines map[string]int // Config.lines
	err   *ConfigError
}

func (d *decoder) fail(n *yaml.Node, key, msg string) {
	if d.err != nil {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.err = &ConfigError{File: d.file, Line: line, Key: key, Msg: msg}
}

// A mapping is a YAML mapping's keys and values in document order.
type mapping struct {
	keys, values []*yaml.Node
}

func (m mapping) get(k string) *yaml.Node {
	for i, kn := range m.keys {
		if kn.Value == k {
			return m.values[i]
		}
	}
	return nil
}

// mapping checks that n is a mapping whose keys are all in allowed, each at most once.
func (d *decoder) mapping(n *yaml.Node, path string, allowed ...string) mapping {
	var m mapping
	if d.err != nil {
		return m
	}
	where := path
	if where == "" {
		where = "the config"
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, fmt.Sprintf("%s must be a mapping (keys: %s), got %s", where, strings.Join(allowed, ", "), describe(n)))
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.fail(k, path, "keys must be plain names (no merge keys or complex keys)")
			return m
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			d.fail(k, kp, fmt.Sprintf("unknown key (allowed in %s: %s)", where, strings.Join(allowed, ", ")))
			return m
		}
		if m.get(k.Value) != nil {
			d.fail(k, kp, "given twice")
			return m
		}
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			d.fail(v, kp, "no value (remove the key for the default)")
			return m
		}
		m.keys = append(m.keys, k)
		m.values = append(m.values, v)
	}
	return m
}

// list calls f for each item of a sequence, or once for a scalar.
func (d *decoder) list(n *yaml.Node, key string, f func(*yaml.Node, string)) {
	if d.err != nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		f(n, key)
		return
	}
	if len(n.Content) == 0 {
		d.fail(n, key, "empty list")
		return
	}
	for i, x := range n.Content {
		if x.Kind == yaml.AliasNode {
			x = x.Alias
		}
		f(x, fmt.Sprintf("%s[%d]", key, i))
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		kind := map[string]string{"!!str": "string", "!!int": "integer", "!!float": "number",
			"!!bool": "boolean", "!!null": "null"}[n.ShortTag()]
		if kind == "" {
			kind = n.ShortTag()
		}
		return fmt.Sprintf("%s %q", kind, n.Value)
	}
	return "something else"
}

func (d *decoder) scalar(n *yaml.Node, key, want string, tags ...string) bool {
	if d.err != nil {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.ShortTag() == t {
				return true
			}
		}
	}
	d.fail(n, key, fmt.Sprintf("want %s, got %s", want, describe(n)))
	return false
}

func (d *decoder) str(n *yaml.Node, key string) string {
	if !d.scalar(n, key, "a string (quote it)", "!!str") {
		return ""
	}
	d.lines[key] = n.Line
	return n.Value
}

func (d *decoder) oneOf(n *yaml.Node, key string, allowed ...string) string {
	s := d.str(n, key)
	if d.err != nil {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	d.fail(n, key, fmt.Sprintf("%q: want one of %s", s, strings.Join(allowed, ", ")))
	return s
}

func (d *decoder) bool(n *yaml.Node, key string) bool {
	if !d.scalar(n, key, "true or false", "!!bool") {
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.fail(n, key, err.Error())
	}
	return b
}

func (d *decoder) int(n *yaml.Node, key string) int64 {
	if !d.scalar(n, key, "an integer", "!!int") {
		return 0
	}
	var x int64
	if err := n.Decode(&x); err != nil {
		d.fail(n, key, fmt.Sprintf("%s is not a 64-bit integer", n.Value))
	}
	return x
}

func (d *decoder) intIn(n *yaml.Node, key string, lo, hi int) int {
	x := d.int(n, key)
	if d.err == nil && (x < int64(lo) || x > int64(hi)) {
		if hi >= 1<<16 {
			d.fail(n, key, fmt.Sprintf("%d is below %d", x, lo))
			if x > int64(hi) {
				d.err.Msg = fmt.Sprintf("%d is above %d", x, hi)
			}
		} else {
			d.fail(n, key, fmt.Sprintf("%d is outside [%d, %d]", x, lo, hi))
		}
	}
	return int(x)
}

func (d *decoder) uint(n *yaml.Node, key string) uint64 {
	if !d.scalar(n, key, "an unsigned integer", "!!int") {
		return 0
	}
	var x uint64
	if err := n.Decode(&x); err != nil {
		d.fail(n, key, fmt.Sprintf("%s is not an unsigned 64-bit integer", n.Value))
	}
	return x
}

func (d *decoder) float(n *yaml.Node, key string) float64 {
	if !d.scalar(n, key, "a number", "!!float", "!!int") {
		return 0
	}
	var x float64
	if err := n.Decode(&x); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		d.fail(n, key, fmt.Sprintf("%s is not a finite number", n.Value))
	}
	if x == 0 {
		x = 0 // -0 and 0 give the same variant ID
	}
	return x
}

func (d *decoder) floatIn(n *yaml.Node, key string, lo, hi float64) float64 {
	x := d.float(n, key)
	if d.err == nil && (x < lo || x > hi) {
		d.fail(n, key, fmt.Sprintf("%s is outside [%g, %g]", strconv.FormatFloat(x, 'g', -1, 64), lo, hi))
	}
	return x
}

// intsOf reads m's key k (one value or a list; path names m in errors) as ints in
// [lo, hi]; []int{def} when k is absent. Sweep entries take every option as a list.
func (d *decoder) intsOf(m mapping, path, k string, lo, hi, def int) []int {
	v := m.get(k)
	if v == nil {
		return []int{def}
	}
	var r []int
	d.list(v, path+"."+k, func(x *yaml.Node, kk string) { r = append(r, d.intIn(x, kk, lo, hi)) })
	return r
}

// floatsOf is intsOf for floats in [lo, hi].
func (d *decoder) floatsOf(m mapping, path, k string, lo, hi, def float64) []float64 {
	v := m.get(k)
	if v == nil {
		return []float64{def}
	}
	var r []float64
	d.list(v, path+"."+k, func(x *yaml.Node, kk string) { r = append(r, d.floatIn(x, kk, lo, hi)) })
	return r
}

// boolsOf is intsOf for booleans.
func (d *decoder) boolsOf(m mapping, path, k string, def bool) []bool {
	v := m.get(k)
	if v == nil {
		return []bool{def}
	}
	var r []bool
	d.list(v, path+"."+k, func(x *yaml.Node, kk string) { r = append(r, d.bool(x, kk)) })
	return r
}
