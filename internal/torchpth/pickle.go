package torchpth

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
)

// Python values as the unpickler represents them: nil (None), bool, int64, *big.Int,
// float64, string, []byte, tuple, *list, *dict, global, *object, and what the
// persistent-load and reduce hooks return (*storageRef, *tensorRef).
type (
	tuple  []any
	list   struct{ items []any }
	global struct{ module, name string }
	// object is an instance of a class this reader does not rebuild; kept inert.
	object struct {
		class global
		args  tuple
		state any
	}
	// dict keeps insertion order, like Python's dict and OrderedDict.
	dict struct {
		keys  []any
		vals  []any
		index map[string]int // positions of string keys
	}
)

func newDict() *dict { return &dict{index: map[string]int{}} }

func (d *dict) set(k, v any) {
	if s, ok := k.(string); ok {
		if i, ok := d.index[s]; ok {
			d.vals[i] = v
			return
		}
		d.index[s] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// mark is the stack sentinel pushed by MARK.
type mark struct{}

// machine is the unpickler's state for one pickle.
type machine struct {
	r       *reader
	stack   []any
	memo    map[int64]any
	persist func(pid any) (any, error)
	reduce  func(fn global, args tuple) (any, bool, error)
	// check, when set, vets every global the pickle names (GLOBAL, STACK_GLOBAL)
	// before it goes on the stack; its error stops the unpickling.
	check func(global) error
}

// maxDepth bounds the stack so that a hostile pickle cannot exhaust memory by pushing.
const maxStack = 1 << 20

// unpickle runs one pickle from r up to its STOP and returns the object. persist
// resolves persistent ids; reduce rebuilds the globals the caller knows (ok=false
// leaves an inert *object).
func unpickle(r *reader, persist func(any) (any, error), reduce func(global, tuple) (any, bool, error)) (any, error) {
	return unpickleChecked(r, persist, reduce, nil)
}

// unpickleChecked is unpickle with a check on every global named (nil: none).
func unpickleChecked(r *reader, persist func(any) (any, error), reduce func(global, tuple) (any, bool, error), check func(global) error) (any, error) {
	m := &machine{r: r, memo: map[int64]any{}, persist: persist, reduce: reduce, check: check}
	for {
		at := r.off
		op, err := r.byte()
		if err != nil {
			return nil, errorf("pickle ends before its STOP opcode (truncated file?)")
		}
		if op == '.' {
			if len(m.stack) != 1 {
				return nil, errorf("pickle STOP at byte %d with %d values on the stack, want 1", at, len(m.stack))
			}
			if _, ok := m.stack[0].(mark); ok {
				return nil, errorf("pickle STOP at byte %d leaves a MARK", at)
			}
			return m.stack[0], nil
		}
		if err := m.step(op); err != nil {
			if fe, ok := err.(*FormatError); ok {
				fe.Problem = "pickle opcode 0x" + strconv.FormatUint(uint64(op), 16) + " at byte " + strconv.Itoa(at) + ": " + fe.Problem
			}
			return nil, err
		}
		if len(m.stack) > maxStack {
			return nil, errorf("pickle stack exceeds %d values", maxStack)
		}
	}
}

func (m *machine) push(v any) { m.stack = append(m.stack, v) }

func (m *machine) pop() (any, error) {
	n := len(m.stack)
	if n == 0 {
		return nil, errorf("stack underflow")
	}
	v := m.stack[n-1]
	if _, ok := v.(mark); ok {
		return nil, errorf("unexpected MARK on the stack")
	}
	m.stack = m.stack[:n-1]
	return v, nil
}

func (m *machine) top() (any, error) {
	if len(m.stack) == 0 {
		return nil, errorf("stack underflow")
	}
	v := m.stack[len(m.stack)-1]
	if _, ok := v.(mark); ok {
		return nil, errorf("unexpected MARK on the stack")
	}
	return v, nil
}

// popMark pops the values above the topmost MARK, and the MARK.
func (m *machine) popMark() ([]any, error) {
	for i := len(m.stack) - 1; i >= 0; i-- {
		if _, ok := m.stack[i].(mark); ok {
			items := append([]any(nil), m.stack[i+1:]...)
			m.stack = m.stack[:i]
			return items, nil
		}
	}
	return nil, errorf("no MARK on the stack")
}

func (m *machine) popN(n int) ([]any, error) {
	out := make([]any, n)
	for i := n - 1; i >= 0; i-- {
		v, err := m.pop()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (m *machine) put(i int64) error {
	v, err := m.top()
	if err != nil {
		return err
	}
	m.memo[i] = v
	return nil
}

func (m *machine) get(i int64) error {
	v, ok := m.memo[i]
	if !ok {
		return errorf("memo key %d was never stored", i)
	}
	m.push(v)
	return nil
}

// decodeLong reads a little-endian two's-complement integer (LONG1/LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(u<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

func float64frombits(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) }
