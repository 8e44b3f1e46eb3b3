package models

import (
	"bufio"
	"os"
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// A sink decides where a weight's bytes go: inline in the model, or streamed into an
// external data file while the graph is built (so a 3.4 GB UNet never sits in memory).
type sink interface {
	put(name string, dims []int64, elem int32, raw []byte) (*onnxpb.TensorProto, error)
}

// inlineSink keeps every weight in the model's raw_data (copied: the source bytes may
// alias a mapped file that is closed after the build).
type inlineSink struct{}

func (inlineSink) put(name string, dims []int64, elem int32, raw []byte) (*onnxpb.TensorProto, error) {
	return &onnxpb.TensorProto{Name: name, Dims: dims, DataType: elem, RawData: append([]byte(nil), raw...)}, nil
}

// fileSink appends weights of at least threshold bytes to an external data file,
// 4 KiB-aligned as onnx's own writer does, and keeps smaller ones inline.
type fileSink struct {
	f         *os.File
	w         *bufio.Writer
	location  string // the file name the model refers to
	off       int64
	threshold int
}

func newFileSink(path, location string, threshold int) (*fileSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if threshold <= 0 {
		threshold = 1024
	}
	return &fileSink{f: f, w: bufio.NewWriterSize(f, 4<<20), location: location, threshold: threshold}, nil
}

func (s *fileSink) put(name string, dims []int64, elem int32, raw []byte) (*onnxpb.TensorProto, error) {
	if len(raw) < s.threshold {
		return inlineSink{}.put(name, dims, elem, raw)
	}
	if pad := (4096 - s.off%4096) % 4096; pad > 0 {
		if _, err := s.w.Write(make([]byte, pad)); err != nil {
			return nil, err
		}
		s.off += pad
	}
	if _, err := s.w.Write(raw); err != nil {
		return nil, err
	}
	t := &onnxpb.TensorProto{Name: name, Dims: dims, DataType: elem, DataLocation: onnxpb.TensorProto_EXTERNAL,
		ExternalData: []*onnxpb.StringStringEntryProto{
			{Key: "location", Value: s.location},
			{Key: "offset", Value: strconv.FormatInt(s.off, 10)},
			{Key: "length", Value: strconv.Itoa(len(raw))},
		}}
	s.off += int64(len(raw))
	return t, nil
}

// close flushes and closes the file; it returns the number of bytes written.
func (s *fileSink) close() (int64, error) {
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return s.off, err
}
