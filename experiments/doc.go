// Package experiments defines what a tomebench run does and what it leaves behind.
//
// The pipeline, in order:
//
//  1. Load (or Parse) reads a run config, a YAML file, strictly: unknown keys, wrong
//     types and out-of-range values are *ConfigError values naming the file, the line
//     and the key path ("configs/x.yaml:14: sweep[1].ratio[2]: 1.5 is outside [0, 1]").
//     Everything that needs only the YAML is checked here, and the sweep is expanded
//     into Config.Variants (normalised, deduplicated, with warnings).
//  2. (*Config).CheckPaths checks what needs the file system: the model folder or
//     Hugging Face cache entry, the FID reference and weights, the prompt file.
//  3. ModelIdentity hashes the model's files; (*Config).Expand turns the config and that
//     identity into a Plan whose variants carry stable IDs (VariantKey).
//  4. The runner writes the run folder described in records.go; (*Plan).Compatible
//     guards reruns into an existing folder and (*Plan).Hash lets merge refuse shards of
//     different plans.
//
// Relative paths in a config (model.path, out, prompts.file, fid.reference,
// fid.weights) are used as given, that is relative to the current directory of the
// process, not to the config file: `tomebench run configs/x.yaml` run from the
// repository root reads `data/...` below the repository root.
package experiments
