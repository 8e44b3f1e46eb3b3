package deepcache

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// TestTiming times DeepCache against the plain pipeline on a model folder; it runs
// only when TOMEBENCH_DEEPCACHE_BENCH names the folder (benchmarks/deepcache.md):
//
//	TOMEBENCH_DEEPCACHE_BENCH=DIR [TOMEBENCH_DEEPCACHE_SIZE=256] [TOMEBENCH_DEEPCACHE_STEPS=10] \
//	  [TOMEBENCH_DEEPCACHE_REPS=2] [TOMEBENCH_DEEPCACHE_THREADS=2] [TOMEBENCH_DEEPCACHE_BRANCHES=0,1] go test ./methods/deepcache -run TestTiming -v
//
// Each setting runs REPS times after one warm-up, alternating with the others; the
// table gives the median wall time of Generate, of its UNet calls, and of one full
// and one partial call (timed between the BeforeUNet and AfterUNet hooks).
func TestTiming(t *testing.T) {
	dir := os.Getenv("TOMEBENCH_DEEPCACHE_BENCH")
	if dir == "" {
		t.Skip("set TOMEBENCH_DEEPCACHE_BENCH to a model folder")
	}
	orttest.Require(t)
	env := func(k string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return v
		}
		return def
	}
	size, steps, reps := env("TOMEBENCH_DEEPCACHE_SIZE", 0), env("TOMEBENCH_DEEPCACHE_STEPS", 10), env("TOMEBENCH_DEEPCACHE_REPS", 2)
	p, err := pipeline.Open(dir, pipeline.Options{Threads: env("TOMEBENCH_DEEPCACHE_THREADS", 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	settings := []struct {
		name string
		opts *Options
	}{{"baseline", nil}}
	for _, b := range strings.Split(cmp.Or(os.Getenv("TOMEBENCH_DEEPCACHE_BRANCHES"), "0,1"), ",") {
		branch, err := strconv.Atoi(b)
		if err != nil {
			t.Fatalf("TOMEBENCH_DEEPCACHE_BRANCHES: %v", err)
		}
		settings = append(settings, struct {
			name string
			opts *Options
		}{fmt.Sprintf("deepcache i3 b%d", branch), &Options{Interval: 3, Branch: branch}})
	}
	methods := make([]*Method, len(settings))
	for i, s := range settings {
		if s.opts != nil {
			if methods[i], err = Prepare(t.Context(), p, *s.opts, size, size); err != nil {
				t.Fatal(err)
			}
			defer methods[i].Close()
		}
	}
	type sample struct{ total, unet, full, partial []float64 }
	samples := make([]sample, len(settings))
	for rep := range reps + 1 {
		for i := range settings {
			req := pipeline.Request{Prompts: []string{"A high quality photograph of a tench."}, Height: size, Width: size, Steps: steps, GuidanceScale: 7.5, Seed: 1}
			var run *Run
			if m := methods[i]; m != nil {
				if run, err = m.Apply(&req); err != nil {
					t.Fatal(err)
				}
			}
			var start time.Time
			var full, partial []float64
			before, after := req.BeforeUNet, req.AfterUNet
			req.BeforeUNet = func(step int, ts float64, f map[string]*ort.Tensor) error {
				if before != nil {
					if err := before(step, ts, f); err != nil {
						return err
					}
				}
				start = time.Now()
				return nil
			}
			req.AfterUNet = func(step int, ts float64, o map[string]*ort.Tensor) error {
				d := time.Since(start).Seconds()
				if run == nil || run.Planned[step] {
					full = append(full, d)
				} else {
					partial = append(partial, d)
				}
				if after != nil {
					return after(step, ts, o)
				}
				return nil
			}
			res, err := p.Generate(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if rep == 0 {
				continue // warm-up
			}
			s := &samples[i]
			s.total = append(s.total, res.Seconds)
			s.unet = append(s.unet, res.UNetSeconds)
			s.full = append(s.full, median(full))
			if len(partial) > 0 {
				s.partial = append(s.partial, median(partial))
			}
		}
	}
	fmt.Printf("| setting | calls (F/p) | s/image | UNet s/image | full call s | partial call s | speed-up (UNet) |\n|---|---|---|---|---|---|---|\n")
	base := median(samples[0].unet)
	for i, s := range settings {
		kinds := fmt.Sprintf("%d/0", steps+1)
		if m := methods[i]; m != nil {
			ts, _ := m.Timesteps(steps)
			k := Kinds(Schedule(ts, m.Options.Interval))
			nf := 0
			for _, c := range k {
				if c == 'F' {
					nf++
				}
			}
			kinds = fmt.Sprintf("%d/%d", nf, len(k)-nf)
		}
		ss := samples[i]
		fmt.Printf("| %s | %s | %.3f | %.3f | %.4f | %s | %.2fx |\n", s.name, kinds, median(ss.total), median(ss.unet), median(ss.full), fmtOr(ss.partial), base/median(ss.unet))
	}
}

func fmtOr(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.4f", median(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
