package torchpth

import (
	"encoding/binary"
	"math/big"
)

// legacyMagic is torch.serialization.MAGIC_NUMBER.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// legacyProtocol is torch.serialization.PROTOCOL_VERSION.
const legacyProtocol = 1001

// decodeLegacy reads the pre-1.6 format: magic, protocol, sys_info, the object, the
// storage keys, then per key an 8-byte little-endian element count and the raw bytes.
func decodeLegacy(b []byte, check func(global) error) (any, error) {
	r := &reader{b: b}
	magic, err := unpickle(r, nil, nil)
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, errorf("a pickle, but not a torch.save file (its first value is a %s, not torch's magic number)", kind(magic))
	}
	proto, err := unpickle(r, nil, nil)
	if err != nil {
		return nil, err
	}
	if proto != int64(legacyProtocol) {
		return nil, errorf("torch legacy protocol %v, want %d", proto, legacyProtocol)
	}
	info, err := unpickle(r, nil, nil)
	if err != nil {
		return nil, err
	}
	if d, ok := info.(*dict); ok {
		if i, ok := d.index["little_endian"]; ok && d.vals[i] != true {
			return nil, errorf("written on a big-endian machine; only little-endian is supported")
		}
	}
	l := &loader{storages: map[string]*storageRef{}}
	obj, err := unpickleChecked(r, l.persistentLoad, l.reduce, check)
	if err != nil {
		return nil, err
	}
	keysObj, err := unpickle(r, nil, nil)
	if err != nil {
		return nil, err
	}
	keys, ok := keysObj.(*list)
	if !ok {
		return nil, errorf("storage key list is a %s, not a list", kind(keysObj))
	}
	for _, k := range keys.items {
		key, ok := k.(string)
		if !ok {
			return nil, errorf("storage key is a %s, not a str", kind(k))
		}
		s, ok := l.storages[key]
		if !ok || s.root != nil {
			return nil, errorf("storage %q is listed but never referenced", key)
		}
		hdr, err := r.bytes(8)
		if err != nil {
			return nil, errorf("storage %q: %v", key, err.(*FormatError).Problem)
		}
		n := int64(binary.LittleEndian.Uint64(hdr))
		if n != s.numel {
			return nil, errorf("storage %q has %d elements, its reference says %d", key, n, s.numel)
		}
		es := int64(s.dtype.Size())
		if n < 0 || n > int64(len(b))/es {
			return nil, errorf("storage %q claims %d elements, more than the file holds", key, n)
		}
		if s.data, err = r.bytes(int(n * es)); err != nil {
			return nil, errorf("storage %q: %v", key, err.(*FormatError).Problem)
		}
	}
	for key, s := range l.storages {
		if s.root == nil && s.data == nil && s.numel > 0 {
			return nil, errorf("storage %q is referenced but its data is missing", key)
		}
	}
	return obj, nil
}
