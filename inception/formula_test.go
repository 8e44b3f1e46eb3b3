package inception

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/torchpth"
)

const fixtures = "../../shared/fixtures/fid"

// TestFormulaSelfTest checks the hash and generator against the values the fixture
// manifest states (inception_det/manifest.json, weight_formula self_test).
func TestFormulaSelfTest(t *testing.T) {
	cases := []struct {
		got, want uint64
		what      string
	}{
		{fnv1a64(""), 0xcbf29ce484222325, `FNV-1a-64("")`},
		{fnv1a64("a"), 0xaf63dc4c8601ec8c, `FNV-1a-64("a")`},
		{splitmix64(0), 0xe220a8397b1dcdaf, "splitmix64(0)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.what, c.got, c.want)
		}
	}
}

// TestFormulaWeights regenerates the full state_dict and compares every key, shape,
// dtype and the sha256 of every tensor's bytes with weights_table.json, and the
// sha256 of the concatenated per-key hashes with the manifest's.
func TestFormulaWeights(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtures, "inception_det/weights_table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table []struct {
		Key    string `json:"key"`
		Shape  []int  `json:"shape"`
		DType  string `json:"dtype"`
		SHA256 string `json:"sha256_le_bytes"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	sd := FormulaWeights()
	if len(sd.Keys) != len(table) || len(table) != 566 {
		t.Fatalf("%d keys, table has %d, manifest says 566", len(sd.Keys), len(table))
	}
	all := sha256.New()
	for i, row := range table {
		k := sd.Keys[i]
		tt := sd.Tensors[k]
		sum := sha256.Sum256(tt.Data)
		h := hex.EncodeToString(sum[:])
		all.Write(sum[:])
		if k != row.Key || string(tt.DType) != row.DType || !slices.Equal(tt.Shape, row.Shape) || h != row.SHA256 {
			t.Errorf("entry %d: %s %s%v sha256 %s…, want %s %s%v %s…", i, k, tt.DType, tt.Shape, h[:12], row.Key, row.DType, row.Shape, row.SHA256[:12])
		}
	}
	// manifest.json: state_dict.sha256_of_concatenated_per_key_sha256 (over the raw
	// 32-byte digests in key order).
	const want = "307075abf3ba23a9313255a2273cdc0f9c4c834881d51ce617b74579aac8455c"
	if got := hex.EncodeToString(all.Sum(nil)); got != want {
		t.Errorf("sha256 of the per-key digests = %s, want %s", got, want)
	}
}

// TestFormulaMatchesPth checks that the small .pth files hold the formula's tensors.
func TestFormulaMatchesPth(t *testing.T) {
	sd := FormulaWeights()
	for _, f := range []string{"inception_det_first6_legacy.pth", "inception_det_first6_zip.pth"} {
		got, err := torchpth.Load(filepath.Join(fixtures, "inception_det", f))
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range got.Keys {
			if sd.Keys[i] != k || string(got.Tensors[k].Data) != string(sd.Tensors[k].Data) {
				t.Errorf("%s: %s differs from the formula", f, k)
			}
		}
	}
}

// TestBuildRejectsWrongWeights: a state_dict that is not the FID Inception's gives a
// *WeightsError naming the key.
func TestBuildRejectsWrongWeights(t *testing.T) {
	first6, err := torchpth.Load(filepath.Join(fixtures, "inception_det", "inception_det_first6_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	full := FormulaWeights()
	extra := &torchpth.StateDict{Keys: append(append([]string(nil), full.Keys...), "AuxLogits.fc.weight"), Tensors: full.Tensors}
	reshaped := &torchpth.StateDict{Keys: full.Keys, Tensors: map[string]*torchpth.Tensor{}}
	for k, v := range full.Tensors {
		reshaped.Tensors[k] = v
	}
	reshaped.Tensors["fc.bias"] = &torchpth.Tensor{DType: torchpth.Float32, Shape: []int{1000}, Data: make([]byte, 4000)}
	cases := []struct {
		name string
		sd   *torchpth.StateDict
		key  string
	}{
		{"first six keys only", first6, "Conv2d_2a_3x3.conv.weight"},
		{"an extra key", extra, "AuxLogits.fc.weight"},
		{"torchvision's 1000 classes", reshaped, "fc.bias"},
	}
	for _, c := range cases {
		_, err := Build(c.sd, Options{})
		var we *WeightsError
		if !errors.As(err, &we) || we.Key != c.key {
			t.Errorf("%s: error %v, want a *WeightsError for %s", c.name, err, c.key)
		}
	}
}
