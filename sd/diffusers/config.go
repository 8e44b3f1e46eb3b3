package diffusers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
)

// decodeConfig fills v (a pointer to a struct already holding the defaults) from the JSON
// object data. Keys absent from data keep their defaults; keys that v does not know are
// returned in extra. name is used in errors.
func decodeConfig(name string, data []byte, v any) (extra map[string]json.RawMessage, err error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, &Error{Path: name, Msg: "not a JSON object", Err: err}
	}
	if all == nil {
		return nil, &Error{Path: name, Msg: "config is null"}
	}
	known := jsonKeys(reflect.TypeOf(v).Elem())
	for k, raw := range all {
		if !known[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = raw
			continue
		}
		// Decode field by field so that the error names the key.
		one, _ := json.Marshal(map[string]json.RawMessage{k: raw})
		if err := json.Unmarshal(one, v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, &Error{Path: name, Msg: fmt.Sprintf("key %q: want %s, got %s", k, te.Type, bytes.TrimSpace(raw))}
			}
			return nil, &Error{Path: name, Msg: fmt.Sprintf("key %q", k), Err: err}
		}
	}
	return extra, nil
}

// jsonKeys lists the JSON names of t's fields.
func jsonKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}

// readConfigFile reads a config file, with an *Error naming path when it is missing.
func readConfigFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Path: path, Msg: "missing config file"}
		}
		return nil, &Error{Path: path, Msg: "cannot read config", Err: err}
	}
	return data, nil
}

// checkClass reports a config whose _class_name is set and differs from want.
func checkClass(path, got string, want ...string) error {
	if got == "" {
		return nil
	}
	for _, w := range want {
		if got == w {
			return nil
		}
	}
	return &Error{Path: path, Msg: fmt.Sprintf("class %s, want %s", got, strings.Join(want, " or "))}
}

func ptr[T any](v T) *T { return &v }
