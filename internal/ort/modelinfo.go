package ort

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"

	onnxruntime "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"
)

// Reading a model's inputs and outputs through onnxruntime_go
// (GetInputOutputInfo) builds a whole temporary session: seconds for a UNet,
// and from bytes it cannot find external weights. The inputs and outputs
// are declared in the graph, so this file reads them straight from the
// protobuf, skipping every other field (weights included) without touching
// them. Field numbers are from onnx.proto.

// ErrBadModel is wrapped by the errors of readIOInfo for bytes that are not
// a well-formed ONNX model.
var ErrBadModel = errors.New("ort: malformed ONNX model")

// fileModelIOInfo maps the model file read-only and reads its inputs and
// outputs; only the pages holding field headers are read from disk.
func fileModelIOInfo(path string) (in, out []IOInfo, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("ort: %w", err)
	}
	if st.Size() == 0 {
		return nil, nil, fmt.Errorf("%w: %s is empty", ErrBadModel, path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("ort: mapping %s: %w", path, err)
	}
	defer syscall.Munmap(data)
	in, out, err = readIOInfo(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return in, out, nil
}

// readIOInfo returns the graph inputs that are not initializers and the
// graph outputs of the serialized ModelProto b, as ONNX Runtime lists them.
func readIOInfo(b []byte) (in, out []IOInfo, err error) {
	var graph []byte
	err = eachField(b, "ModelProto", func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num == 7 && typ == protowire.BytesType {
			graph = v
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if graph == nil {
		return nil, nil, fmt.Errorf("%w: no graph", ErrBadModel)
	}
	var inits []string
	err = eachField(graph, "GraphProto", func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 5: // initializer: TensorProto, name is field 8
			name, err := stringField(v, 8, "TensorProto")
			inits = append(inits, name)
			return err
		case 11, 12: // input, output: ValueInfoProto
			info, err := readValueInfo(v)
			if num == 11 {
				in = append(in, info)
			} else {
				out = append(out, info)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	in = slices.DeleteFunc(in, func(i IOInfo) bool { return slices.Contains(inits, i.Name) })
	return in, out, nil
}

// readValueInfo decodes a ValueInfoProto: name (1) and type (2).
func readValueInfo(b []byte) (IOInfo, error) {
	var info IOInfo
	info.ONNXType = "unknown"
	err := eachField(b, "ValueInfoProto", func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			info.Name = string(v)
		case num == 2 && typ == protowire.BytesType:
			return readType(v, &info)
		}
		return nil
	})
	return info, err
}

// readType decodes a TypeProto; only tensor_type (1) gives a DType and shape.
func readType(b []byte, info *IOInfo) error {
	return eachField(b, "TypeProto", func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		if num != 1 {
			info.ONNXType = map[protowire.Number]string{4: "sequence", 5: "map", 8: "sparse tensor", 9: "optional"}[num]
			return nil
		}
		return eachField(v, "TypeProto.Tensor", func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch {
			case num == 1 && typ == protowire.VarintType:
				e, _ := protowire.ConsumeVarint(v)
				t := onnxruntime.TensorElementDataType(e)
				info.DType, info.ONNXType = dtypeFromORT(t), t.String()
			case num == 2 && typ == protowire.BytesType:
				info.Shape = []int64{}
				return eachField(v, "TensorShapeProto", func(num protowire.Number, typ protowire.Type, v []byte) error {
					if num != 1 || typ != protowire.BytesType {
						return nil
					}
					d := int64(-1) // dim_param or nothing: dynamic
					err := eachField(v, "Dimension", func(num protowire.Number, typ protowire.Type, v []byte) error {
						if num == 1 && typ == protowire.VarintType {
							x, _ := protowire.ConsumeVarint(v)
							d = int64(x)
						}
						return nil
					})
					info.Shape = append(info.Shape, d)
					return err
				})
			}
			return nil
		})
	})
}

// stringField returns the last value of string field num in message b.
func stringField(b []byte, num protowire.Number, msg string) (string, error) {
	var s string
	err := eachField(b, msg, func(n protowire.Number, typ protowire.Type, v []byte) error {
		if n == num && typ == protowire.BytesType {
			s = string(v)
		}
		return nil
	})
	return s, err
}

// eachField calls f for every field of message b with its raw value: the
// payload for length-delimited fields, the encoded varint or fixed bytes
// otherwise. Groups are skipped.
func eachField(b []byte, msg string, f func(protowire.Number, protowire.Type, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %s: bad field tag: %v", ErrBadModel, msg, protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n >= 0 {
				v = b[:n]
			}
		}
		if n < 0 {
			return fmt.Errorf("%w: %s field %d: %v", ErrBadModel, msg, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}
