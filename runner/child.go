package runner

import (
	"bufio"
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

	"github.com/tomebench/tomebench/internal/measure"
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
	var tail measure.TailBuffer
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
	fs.SetOutput(io.Discard)
	var job VariantJob
	var shard string
	fs.StringVar(&job.Dir, "dir", "", "run folder")
	fs.StringVar(&job.ModelDir, "model", "", "model folder")
	fs.StringVar(&job.Variant, "variant", "", "variant ID")
	fs.StringVar(&shard, "shard", "0/1", "shard i/n")
	fs.StringVar(&job.CacheDir, "cache", "", "cache folder")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: tomebench %s --dir RUN_DIR --model DIR --variant ID [--shard i/n] [--cache DIR]\n\n"+
				"Runs one variant of a run folder in this process; 'tomebench run' starts it.\n\nFlags:\n", ChildSubcommand)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	var err error
	if job.Shard, err = ParseShard(shard); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go measure.WatchParent(ctx, cancel)
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
