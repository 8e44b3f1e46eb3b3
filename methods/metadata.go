package methods

import (
	"encoding/json"
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// MetadataKey is the metadata_props key under which a patched model records how it
// was patched (JSON of a [Record]).
const MetadataKey = "tomebench.patch"

// A Record says which method patched a model and with which settings, e.g.
//
//	{"method":"todo","settings":{"factor":2,"max_downsample":1,"interp":"nearest-exact"},"latent":[64,64]}
type Record struct {
	Method   string          `json:"method"` // "tome", "todo" or "agentsd"
	Settings json.RawMessage `json:"settings"`
	Latent   [2]int          `json:"latent"`  // the latent size the patch was planned for
	Patched  int             `json:"patched"` // number of blocks rewritten
}

// SetRecord stores a record of method with settings (any JSON-encodable value) in m's
// metadata_props, replacing an earlier one. It panics when settings cannot be encoded
// (a caller mistake).
func SetRecord(m *onnx.Model, method string, settings any, latent [2]int, patched int) {
	raw, err := json.Marshal(settings)
	if err != nil {
		panic(fmt.Sprintf("methods: settings of %s: %v", method, err))
	}
	b, _ := json.Marshal(Record{Method: method, Settings: raw, Latent: latent, Patched: patched})
	for _, p := range m.Proto.MetadataProps {
		if p.Key == MetadataKey {
			p.Value = string(b)
			return
		}
	}
	m.Proto.MetadataProps = append(m.Proto.MetadataProps, &onnxpb.StringStringEntryProto{Key: MetadataKey, Value: string(b)})
}

// ReadRecord returns the record of how m was patched; ok is false when m carries none.
// A record that is not valid JSON is an error.
func ReadRecord(m *onnx.Model) (r Record, ok bool, err error) {
	for _, p := range m.Proto.MetadataProps {
		if p.Key != MetadataKey {
			continue
		}
		if err := json.Unmarshal([]byte(p.Value), &r); err != nil {
			return Record{}, true, fmt.Errorf("methods: metadata %s: %w", MetadataKey, err)
		}
		return r, true, nil
	}
	return Record{}, false, nil
}

// String is a one-line description: "patched with todo {…} (latent 64x64, 3 blocks)".
func (r Record) String() string {
	return fmt.Sprintf("patched with %s %s (latent %dx%d, %d blocks)", r.Method, r.Settings, r.Latent[0], r.Latent[1], r.Patched)
}
