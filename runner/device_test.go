package runner

import "testing"

func TestParseComputeApps(t *testing.T) {
	// Output shape of nvidia-smi 535 with --format=csv,noheader,nounits: pid, MiB.
	out := "4242, 3410\n17, 120\n4242, 100\n"
	for _, c := range []struct {
		pid  int
		want int64
		ok   bool
	}{
		{4242, (3410 + 100) << 20, true}, // two GPUs: summed
		{17, 120 << 20, true},
		{99, 0, false},
	} {
		got, err := parseComputeApps(out, c.pid)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("pid %d: %d, %v; want %d (ok %v)", c.pid, got, err, c.want, c.ok)
		}
	}
	if _, err := parseComputeApps("No running processes found\n", 1); err == nil {
		t.Errorf("no processes: want an error")
	}
}
