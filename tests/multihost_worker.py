"""Run one JAX program across several local processes on the CPU (multi-host simulation on localhost).

A helper module, not a test file: jax is imported only inside :func:`worker_main`, so importing this
module (for :func:`launch` and :func:`reference`) needs nothing but numpy and does not touch the
JAX backend of the calling process.

As a script, one process of the group::

    python tests/multihost_worker.py <process_id> <num_processes> <port> <out.npz> [local_devices]

Every process calls ``jax.distributed.initialize`` (skipped when ``num_processes == 1``), builds a
1-D mesh ``("shards",)`` over all ``num_processes * local_devices`` devices of all processes, makes
a global uint32 array of shape ``(num_devices * VEC,)`` sharded over the mesh from its own rows
(``jax.make_array_from_process_local_data``), and runs a jitted ``jax.shard_map`` whose body is a
``lax.scan`` of ``STEPS`` steps, each one a ``lax.all_gather`` over ``"shards"`` and some wrapping
uint32 arithmetic. The result is gathered onto every process
(``multihost_utils.process_allgather``) and written to ``out.npz`` with keys ``final``
(``(num_devices * VEC,)``), ``trace`` (``(num_devices, STEPS)``, the per-step gathered sum seen by
each shard), ``process_id``, ``num_processes``, ``num_devices`` and ``seconds_per_call`` (best of
three calls after the compiling one). :func:`reference` computes the same in numpy.

From a test::

    from tests import multihost_worker
    results = multihost_worker.launch(2, timeout=120)  # 2 processes x 2 CPU devices
    ref = multihost_worker.reference(4)
    for r in results:
        np.testing.assert_array_equal(r["final"], ref["final"])

Settings that matter (jax 0.10.2, read from ``jax/_src/xla_bridge.py`` and ``jax/_src/distributed.py``):

* CPU cross-process collectives need ``jax_cpu_collectives_implementation="gloo"``. It is the
  default in 0.10.2 (set here anyway); with it unset (``None``) the first multi-process computation
  fails with "Multiprocess computations aren't implemented on the CPU backend".
* ``jax.distributed.initialize`` must come before anything that creates the backend (``jax.devices()``,
  ``device_put``, any computation), else RuntimeError. ``jax_num_cpu_devices`` (which overrides
  ``XLA_FLAGS=--xla_force_host_platform_device_count``) and ``jax_platforms`` must be set before too.
* Failures do not raise Python exceptions: a peer that never shows up, a peer that dies, or a
  coordinator port already in use end in SIGABRT (``DEADLINE_EXCEEDED`` a few seconds after
  ``initialization_timeout``, or within about ``heartbeat_timeout_seconds``) or SIGSEGV (port in
  use, at once). The timeouts here are short (defaults are 300 s / 100 s) so that a broken group dies fast;
  :func:`launch` also kills the group at its own deadline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STEPS = 100
VEC = 4  # uint32 elements per device
_MUL = np.uint32(1664525)
_ADD = np.uint32(1013904223)

INIT_TIMEOUT_S = 30
HEARTBEAT_TIMEOUT_S = 10
SHUTDOWN_TIMEOUT_S = 30


def initial_data(num_devices: int) -> np.ndarray:
    """The global input, ``(num_devices * VEC,)`` uint32; device ``d`` holds rows ``d*VEC:(d+1)*VEC``."""
    return np.arange(num_devices * VEC, dtype=np.uint32) * np.uint32(2654435761)


def reference(num_devices: int, steps: int = STEPS) -> dict[str, np.ndarray]:
    """The worker's computation in plain numpy (uint32 wraps the same way)."""
    x = initial_data(num_devices).reshape(num_devices, VEC)
    trace = np.zeros((num_devices, steps), np.uint32)
    with np.errstate(over="ignore"):
        for i in range(steps):
            g = x.reshape(-1)
            w = (np.arange(g.size, dtype=np.uint32) + np.uint32(i)) | np.uint32(1)
            s = np.sum(g * w, dtype=np.uint32)
            x = x * _MUL + s + _ADD + (x >> np.uint32(7))
            trace[:, i] = s
    return {"final": x.reshape(-1), "trace": trace}


def worker_main(process_id: int, num_processes: int, port: int, out: str, local_devices: int = 2) -> None:
    import jax

    # All of this before anything that initialises the backend.
    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_num_cpu_devices", local_devices)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if num_processes > 1:
        jax.distributed.initialize(
            coordinator_address=f"127.0.0.1:{port}",
            num_processes=num_processes,
            process_id=process_id,
            cluster_detection_method="deactivate",  # no Slurm/MPI/TPU auto-detection from the environment
            coordinator_bind_address=f"127.0.0.1:{port}",  # default is [::]:port (all interfaces)
            initialization_timeout=INIT_TIMEOUT_S,
            heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT_S,
            shutdown_timeout_seconds=SHUTDOWN_TIMEOUT_S,
        )

    import jax.numpy as jnp
    from jax import lax
    from jax.experimental import multihost_utils
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    assert jax.process_count() == num_processes, (jax.process_count(), num_processes)
    assert jax.local_device_count() == local_devices, (jax.local_devices(), local_devices)
    # jax.devices() is ordered by process (ids 0, 1, ..., 2048, 2049, ... on CPU), so process p's
    # devices hold the contiguous block p*local_devices ... of the mesh axis.
    mesh = Mesh(np.array(jax.devices()), ("shards",))
    num_devices = mesh.size
    sharding = NamedSharding(mesh, P("shards"))
    rows = local_devices * VEC
    first = mesh.devices.tolist().index(jax.local_devices()[0]) * VEC
    local = initial_data(num_devices)[first : first + rows]
    x = jax.make_array_from_process_local_data(sharding, local, (num_devices * VEC,))

    def body(xs):
        def step(c, i):
            g = lax.all_gather(c, "shards", tiled=True)
            w = (jnp.arange(g.shape[0], dtype=jnp.uint32) + i.astype(jnp.uint32)) | jnp.uint32(1)
            s = jnp.sum(g * w, dtype=jnp.uint32)
            c = c * jnp.uint32(_MUL) + s + jnp.uint32(_ADD) + (c >> jnp.uint32(7))
            return c, s

        c, trace = lax.scan(step, xs, jnp.arange(STEPS))
        return c, trace[None]

    run = jax.jit(
        jax.shard_map(body, mesh=mesh, in_specs=P("shards"), out_specs=(P("shards"), P("shards")))
    )
    final, trace = jax.block_until_ready(run(x))
    times = []
    for _ in range(3):
        t = time.perf_counter()
        jax.block_until_ready(run(x))
        times.append(time.perf_counter() - t)
    final = np.asarray(multihost_utils.process_allgather(final, tiled=True))
    trace = np.asarray(multihost_utils.process_allgather(trace, tiled=True))

    tmp = f"{out}.tmp.npz"  # np.savez appends .npz to names without it
    np.savez(
        tmp,
        final=final,
        trace=trace,
        process_id=process_id,
        num_processes=num_processes,
        num_devices=num_devices,
        seconds_per_call=min(times),
    )
    os.replace(tmp, out)
    if num_processes > 1:
        multihost_utils.sync_global_devices("multihost_worker done")


def network_main(process_id: int, num_processes: int, port: int, out: str, local_devices: int = 1) -> None:
    """One process of a sharded spikenet run: COBA-400 (experiments.networks.coba, seed 1) for 60 ms in
    float64 on every device of every process (``Network.run(devices=jax.device_count())``); writes
    the spikes of both populations and the synaptic events (every process gets the whole result)."""
    import jax

    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_num_cpu_devices", local_devices)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if num_processes > 1:
        jax.distributed.initialize(
            coordinator_address=f"127.0.0.1:{port}", num_processes=num_processes, process_id=process_id,
            cluster_detection_method="deactivate", coordinator_bind_address=f"127.0.0.1:{port}",
            initialization_timeout=INIT_TIMEOUT_S, heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT_S,
            shutdown_timeout_seconds=SHUTDOWN_TIMEOUT_S)
    from jax.experimental import multihost_utils

    import spikenet as sn
    from experiments.networks import coba

    net = coba(400, seed=1)
    result = net.run(60.0, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")], precision="float64", progress=False,
                     devices=jax.device_count())
    tmp = f"{out}.tmp.npz"
    np.savez(tmp, exc_t=result.spikes["exc"][0], exc_i=result.spikes["exc"][1], inh_t=result.spikes["inh"][0],
             inh_i=result.spikes["inh"][1], events=sum(result.counts.synaptic_events.values()), devices=jax.device_count(),
             process_id=process_id)
    os.replace(tmp, out)
    if num_processes > 1:
        multihost_utils.sync_global_devices("network done")


def free_port() -> int:
    """A port free right now on 127.0.0.1 (racy: another program may take it before the coordinator)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_PORT_IN_USE = "Failed to add port to server"


def launch(
    num_processes: int,
    timeout: float,
    local_devices: int = 2,
    attempts: int = 3,
    task: str = "gather",
) -> list[dict[str, np.ndarray]]:
    """Run ``num_processes`` workers (``local_devices`` CPU devices each) and return their results.

    One dict per process, in process order, with the arrays of its ``out.npz``. Raises RuntimeError
    with the tail of every process's log if the group does not finish within ``timeout`` seconds
    (all processes are killed) or any process exits non-zero (the others are killed after a short
    grace). A coordinator port taken between choosing and binding it is retried with a new port.
    """
    for attempt in range(attempts):
        try:
            return _launch_once(num_processes, timeout, local_devices, task)
        except _PortInUse:
            if attempt == attempts - 1:
                raise RuntimeError(f"coordinator port in use on {attempts} attempts") from None
    raise AssertionError("unreachable")


class _PortInUse(Exception):
    pass


def _launch_once(num_processes: int, timeout: float, local_devices: int, task: str = "gather") -> list[dict[str, np.ndarray]]:
    port = free_port()
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONUNBUFFERED"] = "1"
    # The repository root on the path, as for the tests (the script itself only needs numpy and jax).
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="multihost_") as tmp:
        procs, logs, outs = [], [], []
        try:
            for pid in range(num_processes):
                out = os.path.join(tmp, f"out{pid}.npz")
                log = open(os.path.join(tmp, f"log{pid}.txt"), "wb")
                # as a module from the repository root: run by path, tests/ would shadow the packages
                # (tests/learning_rules, tests/neurons, ...)
                cmd = [sys.executable, "-m", "tests.multihost_worker", str(pid), str(num_processes), str(port), out]
                cmd += [str(local_devices), task]
                procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root))
                logs.append(log)
                outs.append(out)
            deadline = time.monotonic() + timeout
            failed_at = None
            while any(p.poll() is None for p in procs):
                now = time.monotonic()
                if failed_at is None and any(p.returncode not in (None, 0) for p in procs):
                    failed_at = now  # one died: the others abort on their own or are killed below
                if now > deadline or (failed_at is not None and now > failed_at + 5):
                    break
                time.sleep(0.05)
            timed_out = any(p.poll() is None for p in procs)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
            for log in logs:
                log.close()
        texts = [Path(tmp, f"log{pid}.txt").read_text(errors="replace") for pid in range(num_processes)]
        codes = [p.returncode for p in procs]
        if codes[0] != 0 and _PORT_IN_USE in texts[0]:
            raise _PortInUse
        if timed_out or any(codes):
            why = f"timed out after {timeout} s" if timed_out and failed_at is None else "failed"
            parts = [f"multihost group of {num_processes} {why}; return codes {codes}"]
            for pid, text in enumerate(texts):
                lines = [ln for ln in text.splitlines() if not ln.startswith("    @")]  # C++ stack frames
                parts.append(f"--- process {pid} (rc {codes[pid]}) ---\n" + "\n".join(lines[-40:]))
            raise RuntimeError("\n".join(parts))
        results = []
        for out in outs:
            with np.load(out) as z:
                results.append({k: z[k] for k in z.files})
        return results


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6, 7):
        sys.exit(f"usage: {sys.argv[0]} <process_id> <num_processes> <port> <out.npz> [local_devices] [gather|network]")
    main = network_main if len(sys.argv) == 7 and sys.argv[6] == "network" else worker_main
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], *map(int, sys.argv[5:6]))
