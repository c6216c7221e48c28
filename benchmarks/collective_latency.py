"""What one exchange of the sharded engine costs on XLA:CPU: the time per step of a ``lax.scan`` whose
step does some element-wise work on ``--size`` float32 values split over k CPU devices, with and
without one ``all_gather`` of 40 words per step (the sharded engine does one per step).

Diagnostic for issue 13 (why 2 CPU devices are not faster than one on small steps): on the 2-core
project VM (2026-12-07) the all_gather added 42-57 microseconds per step whatever its size (the
in-process rendezvous of the two device threads), and element-wise work over 4 M values (memory
bound) ran only 1.34x faster on 2 devices than on 1.

Usage::

    python -m benchmarks.collective_latency [--size 400000] [--steps 1000]

Each configuration runs in a fresh process (the device count is fixed when jax starts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, sys, time
devices, gathers, size, steps = (int(x) for x in sys.argv[1:5])
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
import jax, jax.numpy as jnp, numpy as np
from jax import lax
mesh = jax.sharding.Mesh(np.array(jax.devices()[:devices]), ("shards",))
spec = jax.sharding.PartitionSpec("shards")
def body(x):
    def step(y, _):
        for _ in range(5):
            y = jnp.exp(-y * 0.01) * 0.5 + y * 0.5
        for k in range(gathers):
            words = lax.all_gather(y[:40].astype(jnp.uint32) + k, "shards").reshape(-1)
            y = y + words.sum().astype(jnp.float32) * 1e-9
        return y, None
    return lax.scan(step, x, None, length=steps)[0]
run = jax.jit(jax.shard_map(body, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False))
x = jnp.ones((size,), jnp.float32)
run(x).block_until_ready()
times = []
for _ in range(5):
    t = time.perf_counter(); run(x).block_until_ready(); times.append(time.perf_counter() - t)
print(json.dumps({"devices": devices, "all_gathers_per_step": gathers, "us_per_step": float(np.median(times)) / steps * 1e6}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400_000, help="float32 values updated per step (all devices)")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args(argv)
    results = {}
    for devices, gathers, size in ((1, 0, args.size), (2, 1, args.size), (2, 0, 80), (2, 1, 80)):
        out = subprocess.run([sys.executable, "-c", CHILD, str(devices), str(gathers), str(size), str(args.steps)],
                             capture_output=True, text=True, env={**os.environ}, check=True)
        results[devices, gathers, size] = json.loads(out.stdout.strip().splitlines()[-1])["us_per_step"]
        print(f"{devices} device(s), {gathers} all_gather per step, {size:,} values: {results[devices, gathers, size]:.1f} us per step")
    print(f"2 devices vs 1 on {args.size:,} values (with the exchange): {results[1, 0, args.size] / results[2, 1, args.size]:.2f}x; "
          f"one all_gather costs {results[2, 1, 80] - results[2, 0, 80]:.1f} us per step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
