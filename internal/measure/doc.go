// Package measure holds what the experiment runner and `tomebench bench` share to
// measure work in child processes: a tail buffer for a child's stderr, a watch that
// stops a child whose parent died, the machine's description, and the summary
// statistics of repeated timings.
//
// Each measured job runs in its own child process so that its peak resident memory
// (VmHWM, see ort.PeakRSS) is its own, and so that one job's allocator state cannot
// leak into the next one's time.
package measure
