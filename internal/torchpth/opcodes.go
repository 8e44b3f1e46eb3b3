package torchpth

import (
	"fmt"
	"strconv"
)

// step executes one opcode (everything but STOP). The opcodes are those of pickle
// protocols 2–5 that torch.save emits, plus the text forms of PUT/GET/PERSID/GLOBAL.
func (m *machine) step(op byte) error {
	r := m.r
	switch op {
	case 0x80: // PROTO
		v, err := r.byte()
		if err != nil {
			return err
		}
		if v > 5 {
			return errorf("unsupported pickle protocol %d", v)
		}
	case 0x95: // FRAME: a length we do not need (the data follows inline)
		_, err := r.bytes(8)
		return err
	case '(': // MARK
		m.push(mark{})
	case '0': // POP
		_, err := m.pop()
		return err
	case '1': // POP_MARK
		_, err := m.popMark()
		return err
	case '2': // DUP
		v, err := m.top()
		if err != nil {
			return err
		}
		m.push(v)
	case 'N':
		m.push(nil)
	case 0x88:
		m.push(true)
	case 0x89:
		m.push(false)
	case 'J': // BININT
		b, err := r.bytes(4)
		if err != nil {
			return err
		}
		m.push(int64(int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)))
	case 'K': // BININT1
		b, err := r.byte()
		if err != nil {
			return err
		}
		m.push(int64(b))
	case 'M': // BININT2
		b, err := r.bytes(2)
		if err != nil {
			return err
		}
		m.push(int64(b[0]) | int64(b[1])<<8)
	case 0x8a, 0x8b: // LONG1, LONG4
		var n int
		var err error
		if op == 0x8a {
			var c byte
			c, err = r.byte()
			n = int(c)
		} else {
			n, err = r.length(false)
		}
		if err != nil {
			return err
		}
		b, err := r.bytes(n)
		if err != nil {
			return err
		}
		m.push(decodeLong(b))
	case 'G': // BINFLOAT
		b, err := r.bytes(8)
		if err != nil {
			return err
		}
		m.push(float64frombits(b))
	case 'X', 0x8c, 0x8d, 'T', 'U': // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, BINSTRING, SHORT_BINSTRING
		var n int
		var err error
		switch op {
		case 0x8c, 'U':
			var b byte
			b, err = r.byte()
			n = int(b)
		case 0x8d:
			n, err = r.length8()
		default:
			n, err = r.length(true)
		}
		if err != nil {
			return err
		}
		b, err := r.bytes(n)
		if err != nil {
			return err
		}
		m.push(string(b))
	case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
		var n int
		var err error
		switch op {
		case 'C':
			var b byte
			b, err = r.byte()
			n = int(b)
		case 'B':
			n, err = r.length(true)
		default:
			n, err = r.length8()
		}
		if err != nil {
			return err
		}
		b, err := r.bytes(n)
		if err != nil {
			return err
		}
		m.push(append([]byte(nil), b...))
	case ')':
		m.push(tuple{})
	case 't':
		items, err := m.popMark()
		if err != nil {
			return err
		}
		m.push(tuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		items, err := m.popN(int(op-0x85) + 1)
		if err != nil {
			return err
		}
		m.push(tuple(items))
	case ']':
		m.push(&list{})
	case 'l': // LIST
		items, err := m.popMark()
		if err != nil {
			return err
		}
		m.push(&list{items: items})
	case 'a', 'e': // APPEND, APPENDS
		items, err := m.popItems(op == 'a', 1)
		if err != nil {
			return err
		}
		v, err := m.top()
		if err != nil {
			return err
		}
		l, ok := v.(*list)
		if !ok {
			return errorf("APPEND to a %s, not a list", kind(v))
		}
		l.items = append(l.items, items...)
	case '}':
		m.push(newDict())
	case 'd': // DICT
		items, err := m.popMark()
		if err != nil {
			return err
		}
		d := newDict()
		if err := setItems(d, items); err != nil {
			return err
		}
		m.push(d)
	case 's', 'u': // SETITEM, SETITEMS
		items, err := m.popItems(op == 's', 2)
		if err != nil {
			return err
		}
		v, err := m.top()
		if err != nil {
			return err
		}
		d, ok := v.(*dict)
		if !ok {
			return errorf("SETITEM on a %s, not a dict", kind(v))
		}
		return setItems(d, items)
	case 'c': // GLOBAL "module\nname\n"
		mod, err := r.line()
		if err != nil {
			return err
		}
		name, err := r.line()
		if err != nil {
			return err
		}
		if err := m.vet(global{mod, name}); err != nil {
			return err
		}
		m.push(global{mod, name})
	case 0x93: // STACK_GLOBAL
		v, err := m.popN(2)
		if err != nil {
			return err
		}
		mod, ok1 := v[0].(string)
		name, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			return errorf("STACK_GLOBAL needs two strings")
		}
		if err := m.vet(global{mod, name}); err != nil {
			return err
		}
		m.push(global{mod, name})
	case 'R', 0x81: // REDUCE, NEWOBJ
		v, err := m.popN(2)
		if err != nil {
			return err
		}
		return m.call(v[0], v[1])
	case 0x92: // NEWOBJ_EX (kwargs ignored)
		v, err := m.popN(3)
		if err != nil {
			return err
		}
		return m.call(v[0], v[1])
	case 'b': // BUILD
		state, err := m.pop()
		if err != nil {
			return err
		}
		v, err := m.top()
		if err != nil {
			return err
		}
		if o, ok := v.(*object); ok {
			o.state = state
		}
		// Dicts (OrderedDict's _metadata) and tensors take no state we need.
	case 'q', 'r', 'p': // BINPUT, LONG_BINPUT, PUT
		i, err := memoIndex(r, op, 'q', 'r', "PUT")
		if err != nil {
			return err
		}
		return m.put(i)
	case 0x94: // MEMOIZE
		return m.put(int64(len(m.memo)))
	case 'h', 'j', 'g': // BINGET, LONG_BINGET, GET
		i, err := memoIndex(r, op, 'h', 'j', "GET")
		if err != nil {
			return err
		}
		return m.get(i)
	case 'Q', 'P': // BINPERSID, PERSID
		var pid any
		if op == 'Q' {
			v, err := m.pop()
			if err != nil {
				return err
			}
			pid = v
		} else {
			s, err := r.line()
			if err != nil {
				return err
			}
			pid = s
		}
		if m.persist == nil {
			return errorf("persistent id in a pickle that should have none")
		}
		v, err := m.persist(pid)
		if err != nil {
			return err
		}
		m.push(v)
	default:
		return errorf("unsupported opcode %q", rune(op))
	}
	return nil
}

// call applies a callable (a global) to args for REDUCE/NEWOBJ.
func (m *machine) call(fn, args any) error {
	g, ok := fn.(global)
	if !ok {
		return errorf("REDUCE on a %s, not a global", kind(fn))
	}
	a, ok := args.(tuple)
	if !ok {
		return errorf("REDUCE arguments are a %s, not a tuple", kind(args))
	}
	if g.module == "collections" && g.name == "OrderedDict" {
		m.push(newDict())
		return nil
	}
	if m.reduce != nil {
		v, ok, err := m.reduce(g, a)
		if err != nil {
			return err
		}
		if ok {
			m.push(v)
			return nil
		}
	}
	m.push(&object{class: g, args: a})
	return nil
}

func setItems(d *dict, items []any) error {
	if len(items)%2 != 0 {
		return errorf("SETITEMS with an odd number of values")
	}
	for i := 0; i < len(items); i += 2 {
		d.set(items[i], items[i+1])
	}
	return nil
}

// kind names a value's Python type for error messages.
func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case tuple:
		return "tuple"
	case *list:
		return "list"
	case *dict:
		return "dict"
	case global:
		return "global " + x.module + "." + x.name
	case *object:
		return x.class.module + "." + x.class.name + " object"
	case *tensorRef:
		return "tensor"
	case *storageRef:
		return "storage"
	}
	return fmt.Sprintf("%T", v)
}

// memoIndex reads the memo index that follows a PUT or GET opcode: one byte after the
// short form (BINPUT, BINGET), four little-endian bytes after the long one (LONG_*),
// else a decimal line (the text forms PUT and GET, named name in errors).
func memoIndex(r *reader, op, short, long byte, name string) (int64, error) {
	switch op {
	case short:
		b, err := r.byte()
		return int64(b), err
	case long:
		b, err := r.bytes(4)
		if err != nil {
			return 0, err
		}
		return int64(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24), nil
	}
	s, err := r.line()
	if err != nil {
		return 0, err
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errorf("bad %s index %q", name, s)
	}
	return i, nil
}

// popItems pops the operands of an opcode that has a single form (the top n values)
// and a batch form (everything down to the last MARK): APPEND/APPENDS,
// SETITEM/SETITEMS.
func (m *machine) popItems(single bool, n int) ([]any, error) {
	if single {
		return m.popN(n)
	}
	return m.popMark()
}

// vet applies the machine's global check, if any.
func (m *machine) vet(g global) error {
	if m.check == nil {
		return nil
	}
	return m.check(g)
}
