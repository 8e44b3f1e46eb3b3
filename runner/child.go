package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ChildSubcommand is the hidden tomebench subcommand that runs ChildMain.
const ChildSubcommand = "__variant"

// runChild runs job in a child process (ChildMain), handing its events to opts.Events
// and its stderr to opts.Log. Cancelling ctx sends the child an interrupt, which stops it
// between denoising steps.
func runChild(ctx context.Context, job VariantJob, opts Options) error {
	argv := opts.ChildCommand
	if argv == nil {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("runner: finding this executable: %w", err)
		}
		argv = []string{exe, ChildSubcommand}
	}
	args := append(append([]string{}, argv[1:]...),
		"--dir", job.Dir, "--model", job.ModelDir, "--variant", job.Variant,
		"--shard", job.Shard.String(), "--cache", job.CacheDir)
	cmd := exec.CommandContext(ctx, argv[0], args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	// A parent killed outright (kill -9) takes the child with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 30 * time.Second
	var tail tailBuffer
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	cmd.Stderr = io.MultiWriter(log, &tail)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("runner: starting %s: %w", argv[0], err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Kind == "" {
			fmt.Fprintln(log, sc.Text())
			continue
		}
		if opts.Events != nil {
			opts.Events(ev)
		}
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		msg := strings.TrimSpace(tail.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" {
			return fmt.Errorf("runner: variant %s: child process: %w", job.Variant, err)
		}
		return fmt.Errorf("runner: variant %s: %s", job.Variant, strings.TrimPrefix(msg, "error: "))
	}
	return nil
}

// ChildMain is the body of the child process: it parses the job's flags, runs it with
// events as JSON lines on stdout, and returns the exit status (errors on stderr).
func ChildMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(ChildSubcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var job VariantJob
	var shard string
	fs.StringVar(&job.Dir, "dir", "", "run folder")
	fs.StringVar(&job.ModelDir, "model", "", "model folder")
	fs.StringVar(&job.Variant, "variant", "", "variant ID")
	fs.StringVar(&shard, "shard", "0/1", "shard i/n")
	fs.StringVar(&job.CacheDir, "cache", "", "cache folder")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if job.Shard, err = ParseShard(shard); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go watchParent(ctx, cancel)
	var mu sync.Mutex
	enc := json.NewEncoder(stdout)
	job.Events = func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		enc.Encode(ev)
	}
	if err := RunVariant(ctx, job); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "error: interrupted")
			return 130
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// watchParent cancels the child's work when its parent dies (it is re-parented), in
// case the kernel's parent-death signal did not reach it.
func watchParent(ctx context.Context, cancel func()) {
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

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if t.b.Len() > 4096 {
		rest := t.b.Bytes()[t.b.Len()-4096:]
		t.b = *bytes.NewBuffer(append([]byte{}, rest...))
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
