package deepcache

// Schedule returns, for every UNet call of a run over timesteps (one call per
// timestep, in order), whether DeepCacheSDHelper makes it a full call: with cur the
// FIRST index of the call's timestep in timesteps and start that of the first call,
// the call is full iff (cur - start) % interval == 0 (deepcache.py:25-41, skip_mode
// "uniform"). A repeated timestep (PNDM's) therefore gets the index of its first
// occurrence.
func Schedule(timesteps []float64, interval int) []bool {
	first := map[float64]int{}
	for i, t := range timesteps {
		if _, ok := first[t]; !ok {
			first[t] = i
		}
	}
	full := make([]bool, len(timesteps))
	for i, t := range timesteps {
		full[i] = interval <= 1 || (first[t]-first[timesteps[0]])%interval == 0
	}
	return full
}

// Kinds writes a schedule as the fixtures do: F for a full call, p for a partial one.
func Kinds(full []bool) string {
	b := make([]byte, len(full))
	for i, f := range full {
		b[i] = 'p'
		if f {
			b[i] = 'F'
		}
	}
	return string(b)
}
