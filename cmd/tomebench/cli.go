package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// A command is one tomebench subcommand.
type command struct {
	name    string
	args    string // argument synopsis after the flags, e.g. "MODEL.onnx"
	summary string
	hidden  bool // left out of `tomebench help` (internal commands)
	// run parses args with fs (which already knows --help) and does the work.
	run func(e *env, fs *flag.FlagSet, args []string) error
}

// env carries what a command writes to.
type env struct {
	stdout, stderr io.Writer
}

// commands lists the subcommands in the order `tomebench help` shows them.
var commands []*command

func init() {
	commands = []*command{
		runCommand,
		planCommand,
		mergeCommand,
		reportCommand,
		doctorCommand,
		installORTCommand,
		execCommand,
		inspectCommand,
		patchCommand,
		generateCommand,
		convertCommand,
		synthCommand,
		benchCommand,
		fidCommand,
		clipscoreCommand,
		statsCommand,
		variantCommand,
	}
}

// usageError reports a bad command line; the exit status is 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// run executes the command line args and returns the exit status: 0 on success, 1 when
// the work failed, 2 for a bad command line.
func run(stdout, stderr io.Writer, args []string) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return run(stdout, stderr, []string{args[1], "--help"})
		}
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			fs := newFlags(e, c)
			err := c.run(e, fs, args[1:])
			delete(helpPrinters, fs)
			switch {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			case errors.As(err, new(exitCode)):
				var code exitCode
				errors.As(err, &code)
				return int(code) // the command has said why
			case isUsage(err):
				fmt.Fprintf(stderr, "tomebench %s: %v\nRun 'tomebench %s --help' for usage.\n", c.name, err, c.name)
				return 2
			default:
				fmt.Fprintf(stderr, "tomebench %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "tomebench: unknown command %q\nRun 'tomebench help' for the list of commands.\n", args[0])
	return 2
}

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "tomebench measures Token Merging (ToMe for SD) on Stable Diffusion models with ONNX Runtime.")
	fmt.Fprintln(w, "\nUsage:\n\n\ttomebench <command> [arguments]\n\nCommands:")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		if c.hidden {
			continue
		}
		first, _, _ := strings.Cut(c.summary, "\n")
		fmt.Fprintf(w, "\t%-*s  %s\n", width, c.name, first)
	}
	fmt.Fprintln(w, "\nRun 'tomebench <command> --help' for a command's flags.")
}

// newFlags returns a flag set for c whose --help prints c's synopsis and flags to e.stdout.
func newFlags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	// The flag package prints parse errors and the usage itself; run prints the error
	// once (stderr) and parse prints the usage for --help only (stdout).
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	helpPrinters[fs] = func() {
		fs.SetOutput(e.stdout)
		fmt.Fprintf(e.stdout, "Usage: tomebench %s [flags] %s\n\n%s\n", c.name, c.args, c.summary)
		if hasFlags(fs) {
			fmt.Fprintln(e.stdout, "\nFlags:")
			fs.PrintDefaults()
		}
		fs.SetOutput(io.Discard)
	}
	return fs
}

// helpPrinters holds, per flag set made by newFlags, what --help prints.
var helpPrinters = map[*flag.FlagSet]func(){}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses flags that may come before, between or after positional arguments (Go's
// flag package stops at the first positional one) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				if p, ok := helpPrinters[fs]; ok {
					p()
				}
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// namedFiles is a repeatable NAME=FILE flag.
type namedFiles []namedFile

type namedFile struct{ name, file string }

func (n *namedFiles) String() string {
	var s []string
	for _, f := range *n {
		s = append(s, f.name+"="+f.file)
	}
	return strings.Join(s, ",")
}

func (n *namedFiles) Set(v string) error {
	name, file, ok := strings.Cut(v, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("want NAME=FILE, got %q", v)
	}
	*n = append(*n, namedFile{name, file})
	return nil
}
