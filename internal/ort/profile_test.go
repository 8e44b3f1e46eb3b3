package ort

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadProfile reads a hand-written trace in ONNX Runtime's format: two runs, node
// events attributed to the run whose span holds them.
func TestReadProfile(t *testing.T) {
	trace := `[
{"cat":"Session","pid":1,"tid":1,"dur":500,"ts":10,"ph":"X","name":"model_loading_uri","args":{}},
{"cat":"Session","pid":1,"tid":1,"dur":100,"ts":1000,"ph":"X","name":"model_run","args":{}},
{"cat":"Node","pid":1,"tid":1,"dur":40,"ts":1010,"ph":"X","name":"/a/MatMul_kernel_time","args":{"op_name":"MatMul"}},
{"cat":"Node","pid":1,"tid":1,"dur":5,"ts":1010,"ph":"X","name":"/a/MatMul_fence_before","args":{"op_name":"MatMul"}},
{"cat":"Session","pid":1,"tid":1,"dur":200,"ts":2000,"ph":"X","name":"model_run","args":{}},
{"cat":"Node","pid":1,"tid":1,"dur":70,"ts":2010,"ph":"X","name":"/b/tome/TopK_kernel_time","args":{"op_name":"TopK"}},
{"cat":"Node","pid":1,"tid":1,"dur":90,"ts":2100,"ph":"X","name":"Reshape_token_3_kernel_time","args":{"op_name":"Reshape"}}
]`
	p := filepath.Join(t.TempDir(), "prof_1.json")
	if err := os.WriteFile(p, []byte(trace), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err := ReadProfile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Micros != 100 || runs[1].Micros != 200 {
		t.Fatalf("runs = %+v", runs)
	}
	if len(runs[0].Nodes) != 1 || runs[0].Nodes[0] != (NodeTime{"/a/MatMul", "MatMul", 40}) {
		t.Errorf("run 1 nodes = %+v", runs[0].Nodes)
	}
	if len(runs[1].Nodes) != 2 || runs[1].Nodes[0].Node != "/b/tome/TopK" || runs[1].Nodes[1].Micros != 90 {
		t.Errorf("run 2 nodes = %+v", runs[1].Nodes)
	}
	files, err := ProfileFiles(filepath.Join(filepath.Dir(p), "prof"))
	if err != nil || len(files) != 1 || files[0] != p {
		t.Errorf("ProfileFiles = %v, %v", files, err)
	}
}
