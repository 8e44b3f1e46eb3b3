package deepcache

import "testing"

// pndm10 are PNDM's (PLMS, skip_prk_steps) timesteps for 10 steps on SD1.5's config:
// 801 twice (manifest.json "timesteps").
var pndm10 = []float64{901, 801, 801, 701, 601, 501, 401, 301, 201, 101, 1}

func TestSchedule(t *testing.T) {
	ddim := []float64{901, 801, 701, 601, 501, 401, 301, 201, 101, 1}
	cases := []struct {
		name      string
		timesteps []float64
		interval  int
		want      string // source
	}{
		{"pndm10/i3", pndm10, 3, "FppFppFppFp"},   // fixture run deepcache_i3_b0, kinds
		{"pndm10/i2", pndm10, 2, "FpppFpFpFpF"},   // manifest semantics.step_index (the duplicate shifts the parity)
		{"pndm10/i1", pndm10, 1, "FFFFFFFFFFF"},   // (cur-start) % 1 == 0 always
		{"pndm10/i5", pndm10, 5, "FppppFppppF"},   // cur 0,1,1,3,4,5,...: full at cur 0, 5, 10
		{"ddim10/i3", ddim, 3, "FppFppFppF"},      // distinct timesteps: the loop index
		{"pndm10/i20", pndm10, 20, "Fpppppppppp"}, // one full call
		{"from-801", pndm10[1:], 2, "FFFpFpFpFp"}, // cur 0,0,2,3,...: start is the first call's index
	}
	for _, c := range cases {
		if got := Kinds(Schedule(c.timesteps, c.interval)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o  Options
		ok bool
	}{
		{DefaultOptions(), true},
		{Options{Interval: 3, Branch: 1}, true},
		{Options{Interval: 0}, false},
		{Options{Interval: 3, Branch: -1}, false},
	}
	for _, c := range cases {
		if err := c.o.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: Validate() = %v", c.o, err)
		}
	}
	if l, b := (Options{Branch: 7}).Layer(); l != 1 || b != 2 {
		t.Errorf("branch 7: layer %d block %d, want 1, 2", l, b)
	}
}
