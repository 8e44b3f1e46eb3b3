package schedulers

import (
	"fmt"
	"math"
)

// This file reproduces the numpy expressions diffusers uses to place inference
// timesteps ("Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2:
// linspace, leading, trailing). All results are ascending; callers reverse them.

// spacedTimesteps returns the n inference timesteps of the given spacing in ascending
// order, as float64 values (integral unless integral is false and spacing is linspace).
//
//	leading:  (arange(n) * (T // n)).round() + steps_offset
//	linspace: linspace(0, T-1, n)            (rounded when integral)
//	trailing: round(arange(T, 0, -T/n)) - 1  (reversed to ascending)
func spacedTimesteps(spacing string, numTrain, n, offset int, integral bool) ([]float64, error) {
	out := make([]float64, n)
	switch spacing {
	case "leading":
		ratio := numTrain / n
		for i := range out {
			out[i] = float64(i*ratio + offset)
		}
	case "linspace":
		copy(out, npLinspace(0, float64(numTrain-1), n))
		if integral {
			for i, v := range out {
				out[i] = math.RoundToEven(v)
			}
		}
	case "trailing":
		desc := npArange(float64(numTrain), 0, -float64(numTrain)/float64(n))
		if len(desc) != n {
			return nil, fmt.Errorf("trailing spacing made %d timesteps for %d steps", len(desc), n)
		}
		for i, v := range desc {
			out[n-1-i] = math.RoundToEven(v) - 1
		}
	default:
		return nil, &ConfigError{Msg: fmt.Sprintf("timestep_spacing %q is not one of leading, linspace, trailing", spacing)}
	}
	return out, nil
}

// npLinspace is numpy.linspace(start, stop, n): i*step + start with step =
// (stop-start)/(n-1), and the last value set to stop.
func npLinspace(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	if n == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(n-1)
	for i := range out {
		out[i] = float64(i)*step + start
	}
	out[n-1] = stop
	return out
}

// npArange is numpy.arange(start, stop, step) for floats: length ceil((stop-start)/step),
// values start + i*delta with delta = (start+step) - start as numpy's fill computes it.
func npArange(start, stop, step float64) []float64 {
	n := int(math.Ceil((stop - start) / step))
	if n <= 0 {
		return nil
	}
	out := make([]float64, n)
	delta := (start + step) - start
	for i := range out {
		out[i] = start + float64(i)*delta
	}
	return out
}

func reversed(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[len(x)-1-i] = v
	}
	return out
}

// checkSteps panics on a caller mistake in SetTimesteps.
func checkSteps(n, numTrain int) {
	if n < 1 || n > numTrain {
		panic(fmt.Sprintf("schedulers: SetTimesteps(%d): need 1 <= steps <= num_train_timesteps (%d)", n, numTrain))
	}
}

// checkedSchedule does what every constructor does before its own settings: it checks
// the prediction type (for the class named in errors) and the timestep spacing
// (integral timesteps or not), then builds the noise schedule.
func checkedSchedule(c Config, class, spacing string, integral bool) (schedule, error) {
	if err := checkPrediction(c, class); err != nil {
		return schedule{}, err
	}
	if _, err := spacedTimesteps(spacing, c.NumTrainTimesteps, 1, 0, integral); err != nil {
		return schedule{}, err
	}
	return newSchedule(c)
}

// stepTimesteps is spacedTimesteps for SetTimesteps(n): it panics on a bad n (a caller
// mistake) and cannot fail otherwise, the spacing having been checked by
// checkedSchedule in the constructor.
func stepTimesteps(c Config, spacing string, n int, integral bool) []float64 {
	checkSteps(n, c.NumTrainTimesteps)
	ts, err := spacedTimesteps(spacing, c.NumTrainTimesteps, n, c.StepsOffset, integral)
	if err != nil {
		panic("schedulers: " + err.Error()) // checked in the constructor
	}
	return ts
}
