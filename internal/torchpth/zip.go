package torchpth

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
)

// decodeZip reads torch's zip format: <prefix>/data.pkl and <prefix>/data/<key>.
func decodeZip(b []byte, check func(global) error) (any, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, errorf("corrupt zip archive (truncated file?): %v", err)
	}
	members := map[string]*zip.File{}
	prefix := ""
	found := false
	for _, f := range zr.File {
		members[f.Name] = f
		if dir, ok := strings.CutSuffix(f.Name, "data.pkl"); ok && strings.Count(dir, "/") <= 1 && (dir == "" || strings.HasSuffix(dir, "/")) {
			if found {
				return nil, errorf("zip archive holds more than one data.pkl")
			}
			prefix, found = dir, true
		}
	}
	if !found {
		return nil, errorf("zip archive without data.pkl: not a torch.save file")
	}
	if f, ok := members[prefix+"byteorder"]; ok {
		bo, err := readMember(f)
		if err != nil {
			return nil, err
		}
		if string(bo) != "little" {
			return nil, errorf("storages are stored %q-endian; only little-endian is supported", bo)
		}
	}
	pkl, err := readMember(members[prefix+"data.pkl"])
	if err != nil {
		return nil, err
	}
	l := &loader{storages: map[string]*storageRef{}}
	obj, err := unpickleChecked(&reader{b: pkl}, l.persistentLoad, l.reduce, check)
	if err != nil {
		return nil, err
	}
	for key, s := range l.storages {
		f, ok := members[prefix+"data/"+key]
		if !ok {
			return nil, errorf("zip archive lacks storage %sdata/%s", prefix, key)
		}
		if s.data, err = readMember(f); err != nil {
			return nil, err
		}
		if int64(len(s.data)) < s.numel*int64(s.dtype.Size()) {
			return nil, errorf("storage %s has %d bytes, want %d (%d × %s)", key, len(s.data), s.numel*int64(s.dtype.Size()), s.numel, s.dtype)
		}
	}
	return obj, nil
}

// readMember reads one zip member, trusting neither its declared size nor its data.
func readMember(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, errorf("zip member %s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, errorf("zip member %s: %v (truncated file?)", f.Name, err)
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, errorf("zip member %s has %d bytes, its header says %d", f.Name, len(b), f.UncompressedSize64)
	}
	return b, nil
}
