package torchpth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
)

// storageNames maps element types back to torch's storage classes (for Write).
var storageNames = map[DType]string{
	Float32: "FloatStorage", Float64: "DoubleStorage", Float16: "HalfStorage", BFloat16: "BFloat16Storage",
	Int64: "LongStorage", Int32: "IntStorage", Int16: "ShortStorage", Int8: "CharStorage", Uint8: "ByteStorage", Bool: "BoolStorage",
}

// Write writes tensors (in keys order) as torch.save({"state_dict": sd}) does in its zip
// format when wrap is true, or torch.save(sd) when false: folder prefix/, data.pkl at
// pickle protocol 2 with one storage per tensor (persistent ids ('storage',
// torch.<T>Storage, 'n', 'cpu', numel)), data/n records stored uncompressed and
// 64-byte aligned, and prefix/version. It exists to make test checkpoints without
// Python; what it writes, Load and LoadCheckpoint read, and so does torch.load.
func Write(w io.Writer, prefix string, keys []string, tensors map[string]*Tensor, wrap bool) error {
	var p bytes.Buffer
	op := func(b ...byte) { p.Write(b) }
	str := func(s string) { // BINUNICODE
		op('X')
		binary.Write(&p, binary.LittleEndian, uint32(len(s)))
		p.WriteString(s)
	}
	integer := func(v int) { // BININT
		op('J')
		binary.Write(&p, binary.LittleEndian, int32(v))
	}
	ints := func(v []int) { // a tuple of ints
		op('(')
		for _, x := range v {
			integer(x)
		}
		op('t')
	}
	op(0x80, 2)
	if wrap {
		op('}')
		str("state_dict")
	}
	op('}', '(') // EMPTY_DICT, MARK
	for n, k := range keys {
		t := tensors[k]
		sname, ok := storageNames[t.DType]
		if !ok {
			return fmt.Errorf("torchpth: Write: %s: unsupported dtype %s", k, t.DType)
		}
		str(k)
		op('c')
		p.WriteString("torch._utils\n_rebuild_tensor_v2\n")
		op('(') // args
		op('(') // persistent id tuple
		str("storage")
		op('c')
		p.WriteString("torch\n" + sname + "\n")
		str(strconv.Itoa(n))
		str("cpu")
		integer(t.Len())
		op('t', 'Q') // TUPLE, BINPERSID
		integer(0)
		ints(t.Shape)
		stride := make([]int, len(t.Shape))
		s := 1
		for i := len(t.Shape) - 1; i >= 0; i-- {
			stride[i] = s
			s *= t.Shape[i]
		}
		ints(stride)
		op(0x89) // False (requires_grad)
		op('c')
		p.WriteString("collections\nOrderedDict\n")
		op(')', 'R') // OrderedDict()
		op('t', 'R') // args tuple, REDUCE
	}
	op('u') // SETITEMS
	if wrap {
		op('s') // SETITEM
	}
	op('.')

	zw := zip.NewWriter(w)
	var off int64
	add := func(name string, data []byte) error {
		// Pad the local header's extra field so that data starts 64-byte aligned.
		hdr := int64(30 + len(name))
		pad := (64 - (off+hdr+4)%64) % 64
		extra := make([]byte, 4+pad)
		binary.LittleEndian.PutUint16(extra, 0xcafe)
		binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
		fw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, Extra: extra,
			CRC32: crc(data), CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
		off += hdr + int64(len(extra)) + int64(len(data))
		return nil
	}
	if err := add(prefix+"/data.pkl", p.Bytes()); err != nil {
		return err
	}
	for n, k := range keys {
		if err := add(prefix+"/data/"+strconv.Itoa(n), tensors[k].Data); err != nil {
			return err
		}
	}
	if err := add(prefix+"/version", []byte("3\n")); err != nil {
		return err
	}
	return zw.Close()
}

func crc(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
