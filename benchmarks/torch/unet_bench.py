#!/usr/bin/env python3
"""One UNet measurement with PyTorch + diffusers + tomesd, one merge ratio per process.

Builds diffusers' UNet2DConditionModel with Stable Diffusion 1.5's config
(runwayml/stable-diffusion-v1-5 unet/config.json) and seeded random weights,
float32, eval mode, under torch.no_grad(), and times full UNet forward calls on
sample [B, 4, L, L], timestep 981, encoder_hidden_states [B, 77, 768].

--ratio 0 runs the unpatched model; any other ratio applies
tomesd.apply_patch(unet, ratio=R) with tomesd's other defaults (max_downsample 1,
sx = sy = 2, use_rand, self-attention only).

Prints one JSON line. Peak RSS is the process's VmHWM, so run one ratio per
process (run.sh does). See README.md in this folder for the setup.
"""

import argparse
import json
import os
import platform
import sys
import time

# SD 1.5 UNet, as in runwayml/stable-diffusion-v1-5 unet/config.json (everything else
# there equals diffusers' defaults: act_fn silu, norm_num_groups 32, norm_eps 1e-5,
# flip_sin_to_cos true, freq_shift 0, downsample_padding 1, mid_block_scale_factor 1).
SD15_CONFIG = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    center_input_sample=False,
    flip_sin_to_cos=True,
    freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    downsample_padding=1,
    mid_block_scale_factor=1,
    act_fn="silu",
    norm_num_groups=32,
    norm_eps=1e-5,
    cross_attention_dim=768,
    attention_head_dim=8,
)

# A tiny UNet of the same structure, for validating the setup in seconds.
TINY_CONFIG = dict(
    sample_size=16,
    in_channels=4,
    out_channels=4,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(32, 64),
    layers_per_block=1,
    norm_num_groups=32,
    cross_attention_dim=32,
    attention_head_dim=8,
)

TEXT_TOKENS = 77


def status_bytes(field):
    """A memory field of /proc/self/status (e.g. VmHWM, VmRSS) in bytes, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    parts = line.split()
                    return int(parts[1]) * 1024  # reported in kB
    except OSError:
        pass
    return None


def source_info(module):
    """Version and commit of a package checked out by setup.sh (COMMIT file at the repo root)."""
    info = {"version": getattr(module, "__version__", None), "commit": None, "path": None}
    path = os.path.dirname(os.path.abspath(module.__file__))
    info["path"] = path
    d = path
    for _ in range(4):
        d = os.path.dirname(d)
        commit_file = os.path.join(d, "COMMIT")
        if os.path.isfile(commit_file):
            with open(commit_file) as f:
                info["commit"] = f.read().strip()
            setup_py = os.path.join(d, "setup.py")
            if info["version"] is None and os.path.isfile(setup_py):
                with open(setup_py) as f:
                    for line in f:
                        s = line.strip()
                        if s.startswith("version="):
                            info["version"] = s.split("=", 1)[1].strip(" ,\"'")
                            break
            break
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ratio", type=float, default=0.0, help="tomesd merge ratio; 0 = unpatched model")
    ap.add_argument("--batch", type=int, default=2, help="batch size (2 = one prompt with classifier-free guidance)")
    ap.add_argument("--latent", type=int, default=64, help="latent side L (64 = 512x512 images)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed calls before the timed ones")
    ap.add_argument("--calls", type=int, default=1, help="timed calls")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed for weights, inputs and tomesd's generator")
    ap.add_argument("--timestep", type=int, default=981)
    ap.add_argument("--tiny", action="store_true", help="a tiny UNet (validation only)")
    ap.add_argument("--check", action="store_true",
                    help="validation: also run the unpatched model once in this process (before patching) and "
                         "report how far the measured model's output is from it; pollutes peak RSS")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    import diffusers
    from diffusers import UNet2DConditionModel
    import tomesd

    config = TINY_CONFIG if args.tiny else SD15_CONFIG
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    unet = UNet2DConditionModel(**config).to(torch.float32).eval()
    build_s = time.perf_counter() - t0
    n_params = sum(p.numel() for p in unet.parameters())

    ctx_dim = config["cross_attention_dim"]
    g = torch.Generator().manual_seed(args.seed + 1)
    sample = torch.randn(args.batch, 4, args.latent, args.latent, generator=g)
    encoder_hidden_states = torch.randn(args.batch, TEXT_TOKENS, ctx_dim, generator=g)
    timestep = torch.tensor(args.timestep, dtype=torch.long)

    def call():
        # The sample must be passed positionally: tomesd's forward pre-hook reads the
        # latent size from args[0] (hook_tome_model), and a bare UNet2DConditionModel
        # is a diffusers ModelMixin, so apply_patch hooks the UNet itself.
        return unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]

    reference = None
    with torch.no_grad():
        if args.check:
            torch.manual_seed(args.seed + 2)
            reference = call()

        n_blocks = sum(1 for m in unet.modules() if type(m).__name__ == "BasicTransformerBlock")
        patched = 0
        tome_hooks = 0
        if args.ratio > 0:
            tomesd.apply_patch(unet, ratio=args.ratio)
            patched = sum(1 for m in unet.modules() if type(m).__name__ == "ToMeBlock")
            tome_hooks = len(unet._tome_info["hooks"])
            if patched == 0 or tome_hooks == 0:
                sys.exit("tomesd.apply_patch patched nothing")

        merges = []
        if args.check and args.ratio > 0:
            # Count the blocks that really merge (compute_merge calls the matching only
            # where the downsampling is at most max_downsample).
            inner = tomesd.merge.bipartite_soft_matching_random2d

            def counting(metric, w, h, sx, sy, r, **kw):
                merges.append((tuple(metric.shape), r))
                return inner(metric, w, h, sx, sy, r, **kw)

            tomesd.merge.bipartite_soft_matching_random2d = counting

        # tomesd forks its generator from the global RNG state at the first patched call.
        torch.manual_seed(args.seed + 2)
        rss_before_calls = status_bytes("VmRSS")
        for _ in range(args.warmup):
            out = call()
        seconds, cpu_seconds = [], []
        for _ in range(args.calls):
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = call()
            seconds.append(time.perf_counter() - t0)
            cpu_seconds.append(time.process_time() - c0)
        if args.warmup + args.calls == 0:
            out = call()

    tome_size = None
    if args.ratio > 0:
        tome_size = list(unet._tome_info["size"])
    attn_procs = sorted({type(p).__name__ for p in unet.attn_processors.values()})

    diff = source_info(diffusers)
    tome = source_info(tomesd)
    result = {
        "ratio": args.ratio,
        "seconds": [round(s, 4) for s in seconds],
        "cpu_seconds": [round(s, 3) for s in cpu_seconds],
        "peak_rss_bytes": status_bytes("VmHWM"),
        "rss_before_calls_bytes": rss_before_calls,
        "model": "tiny" if args.tiny else "sd15_unet",
        "params": n_params,
        "batch": args.batch,
        "latent": args.latent,
        "timestep": args.timestep,
        "warmup": args.warmup,
        "calls": args.calls,
        "threads": torch.get_num_threads(),
        "seed": args.seed,
        "transformer_blocks": n_blocks,
        "tome_blocks_patched": patched,
        "tome_hooks": tome_hooks,
        "tome_size": tome_size,
        "attn_processors": attn_procs,
        "output_abs_mean": float(out.abs().mean()),
        "output_finite": bool(torch.isfinite(out).all()),
        "build_seconds": round(build_s, 2),
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "diffusers": diff["version"],
        "diffusers_commit": diff["commit"],
        "tomesd": tome["version"],
        "tomesd_commit": tome["commit"],
        "python": platform.python_version(),
    }
    if reference is not None:
        result["check_max_abs_diff_vs_unpatched"] = float((out - reference).abs().max())
        result["check_rel_diff_vs_unpatched"] = float((out - reference).norm() / reference.norm())
        calls = max(args.warmup + args.calls, 1)
        result["check_merges_per_call"] = len(merges) // calls
        result["check_merge_shapes"] = sorted({f"{list(shape)} r={r}" for shape, r in merges})
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
