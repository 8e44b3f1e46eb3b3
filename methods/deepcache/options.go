package deepcache

import "fmt"

// Options are DeepCache's settings, the helper's set_params(cache_interval,
// cache_branch_id).
type Options struct {
	// Interval is cache_interval: a full UNet call every Interval steps (by the
	// timestep's first index in the scheduler's list), partial calls in between. 1
	// makes every call full.
	Interval int `json:"interval"`
	// Branch is cache_branch_id (see the package doc): 0 is the helper's default and
	// the shallowest cut; 1 is the DeepCache paper's default (layer 0, block 0).
	Branch int `json:"branch"`
}

// DefaultOptions are the helper's defaults: interval 5 (set_params' default), branch 0.
func DefaultOptions() Options { return Options{Interval: 5, Branch: 0} }

// Validate reports settings the method cannot take. Whether Branch exists in a given
// UNet is checked by Cut.
func (o Options) Validate() error {
	if o.Interval < 1 {
		return fmt.Errorf("deepcache: interval %d: want >= 1", o.Interval)
	}
	if o.Branch < 0 {
		return fmt.Errorf("deepcache: branch %d: want >= 0", o.Branch)
	}
	return nil
}

// LayersPerBlock is the helper's fixed number of layers per down block in a branch
// number (SD1.5's two resnets and a downsampler), whatever the UNet.
const LayersPerBlock = 3

// Layer returns cache_layer_id and cache_block_id of the branch.
func (o Options) Layer() (layer, block int) {
	return o.Branch % LayersPerBlock, o.Branch / LayersPerBlock
}
