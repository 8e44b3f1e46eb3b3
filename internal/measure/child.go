package measure

import (
	"bytes"
	"context"
	"os"
	"sync"
	"time"
)

// WatchParent calls cancel when this process's parent dies (it is re-parented), in
// case the kernel's parent-death signal did not reach it; it returns when ctx ends.
func WatchParent(ctx context.Context, cancel func()) {
	ppid := os.Getppid()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != ppid {
				cancel()
				return
			}
		}
	}
}

// A TailBuffer keeps the last 4 KiB written to it (a child's stderr, for the error
// message when it fails). It is safe for concurrent use.
type TailBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, dropping what lies more than 4 KiB back.
func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if t.b.Len() > 4096 {
		rest := t.b.Bytes()[t.b.Len()-4096:]
		t.b = *bytes.NewBuffer(append([]byte{}, rest...))
	}
	return len(p), nil
}

// String returns what is kept.
func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

// LastLine returns the last non-empty line kept, without a leading "error: ".
func (t *TailBuffer) LastLine() string {
	s := bytes.TrimSpace([]byte(t.String()))
	if i := bytes.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return string(bytes.TrimPrefix(s, []byte("error: ")))
}
