package clip

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A FileError reports a tokenizer file that is missing or malformed.
type FileError struct {
	File string // path of the file
	Line int    // 1-based line for merges.txt problems, else 0
	Msg  string
	Err  error // underlying error, if any
}

func (e *FileError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Err != nil {
		return fmt.Sprintf("clip: %s: %s: %v", loc, e.Msg, e.Err)
	}
	return fmt.Sprintf("clip: %s: %s", loc, e.Msg)
}

func (e *FileError) Unwrap() error { return e.Err }

// Load reads a tokenizer folder as diffusers and transformers save it: vocab.json and
// merges.txt, and, when present, tokenizer_config.json and special_tokens_map.json
// (the latter taking precedence) for pad_token and model_max_length.
func Load(dir string) (*Tokenizer, error) {
	vocab, err := ReadVocab(filepath.Join(dir, "vocab.json"))
	if err != nil {
		return nil, err
	}
	merges, err := ReadMerges(filepath.Join(dir, "merges.txt"))
	if err != nil {
		return nil, err
	}
	t, err := New(vocab, merges)
	if err != nil {
		return nil, &FileError{File: filepath.Join(dir, "vocab.json"), Msg: "unusable vocabulary", Err: err}
	}
	for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		if err := t.applyConfig(filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}
	if pad := t.decoder[t.padID]; t.padID != t.endID && t.padID != t.startID {
		t.SetNeverSplit(pad) // transformers never splits special tokens (special.go)
	}
	return t, nil
}

// ReadVocab reads vocab.json: a JSON object from token to id.
func ReadVocab(path string) (map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot read vocabulary", Err: err}
	}
	var vocab map[string]int
	if err := json.Unmarshal(data, &vocab); err != nil {
		return nil, &FileError{File: path, Msg: "not a JSON object of token ids", Err: err}
	}
	return vocab, nil
}

// ReadMerges reads merges.txt: an optional "#version" line, then one merge "a b" per
// line in rank order.
func ReadMerges(path string) ([][2]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot read merges", Err: err}
	}
	var merges [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimRight(sc.Text(), "\r")
		if (line == 1 && strings.HasPrefix(s, "#version")) || s == "" {
			continue
		}
		a, b, ok := strings.Cut(s, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return nil, &FileError{File: path, Line: line, Msg: fmt.Sprintf("want two symbols separated by one space, got %q", s)}
		}
		merges = append(merges, [2]string{a, b})
	}
	if err := sc.Err(); err != nil {
		return nil, &FileError{File: path, Msg: "cannot read merges", Err: err}
	}
	if len(merges) == 0 {
		return nil, &FileError{File: path, Msg: "no merges"}
	}
	return merges, nil
}

// applyConfig reads pad_token and model_max_length from a transformers config file, if
// the file exists. Tokens may be strings or AddedToken objects ({"content": ...}).
func (t *Tokenizer) applyConfig(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return &FileError{File: path, Msg: "cannot read", Err: err}
	}
	var cfg struct {
		PadToken       json.RawMessage `json:"pad_token"`
		ModelMaxLength *float64        `json:"model_max_length"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return &FileError{File: path, Msg: "invalid JSON", Err: err}
	}
	if len(cfg.PadToken) > 0 && string(cfg.PadToken) != "null" {
		var pad string
		if err := json.Unmarshal(cfg.PadToken, &pad); err != nil {
			var obj struct {
				Content *string `json:"content"`
			}
			if err := json.Unmarshal(cfg.PadToken, &obj); err != nil || obj.Content == nil {
				return &FileError{File: path, Msg: "pad_token is neither a string nor an object with content"}
			}
			pad = *obj.Content
		}
		if err := t.SetPad(pad); err != nil {
			return &FileError{File: path, Msg: "bad pad_token", Err: err}
		}
	}
	// transformers writes a huge sentinel (1e30) for "no limit"; keep the default then.
	if m := cfg.ModelMaxLength; m != nil && *m >= 2 && *m <= 1<<20 && *m == float64(int(*m)) {
		t.maxLength = int(*m)
	}
	return nil
}
