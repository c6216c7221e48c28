"""The same NIR graphs in spikenet and in peer simulators (slow; the peers live in their own venv).

Peers: snnTorch 1.0.0, Norse 1.1.0, Sinabs 3.1.3 and Rockpool 3.1.0 on torch 2.13.0 (CPU), run by
``tests/nir_peers.py`` in the interpreter named by ``SPIKENET_NIR_PEERS_PYTHON`` (default
``.venv-peers/bin/python``, made by ``make peers-venv``: Sinabs pins ``nir<=1.0.4`` and torch must
stay the 2.13.0 CPU build, so they do not share spikenet's venv). ``tests/nir_peers.py`` documents each peer's
discretisation with the source files it was read from; in short:

* snnTorch and Norse: forward Euler, ``v <- (1 - dt/tau) v + (dt/tau) I``, spike and reset to 0
  when ``v > v_th``; a spike reaches the next layer in the same step.
* Sinabs (``nir_reset``: one spike per step, reset to 0) and Rockpool: exact exponential decay with
  the input of step k added in step k, ``v >= v_th``; Rockpool resets by subtraction and may emit
  several spikes per step.

Where a peer's discretisation is exact for input held over a step (all four on the paper's single
LIF, whose input is one spike per 10 steps; Sinabs with ``nir_reset`` on any LIF graph) the spikes
must be identical; spikenet's one deliberate difference is causal delivery: a spike of layer 1 in
step k acts on layer 2 over step k + 1, where the peers let it act within step k (a shift of one
step per feed-forward layer, checked exactly below). Forward Euler (snnTorch, Norse) is not exact:
on multi-layer graphs their spikes differ from the exact solution, and we do not compare them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import spikenet.nir as snir
from tests import nir_peers

ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = os.environ.get("SPIKENET_NIR_PEERS_PYTHON", str(ROOT / ".venv-peers" / "bin" / "python"))

pytestmark = pytest.mark.slow

SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, {root!r})
from tests import nir_peers
graph = getattr(nir_peers, {builder!r})()
inputs = getattr(nir_peers, {inputs!r})()
out = {{}}
for peer, options in {peers!r}:
    result = getattr(nir_peers, "run_" + peer)(graph, inputs, nir_peers.DT_S, **options)
    for node, raster in result.items():
        out[peer + ("+" + "+".join(sorted(options)) if options else "") + ":" + node] = np.asarray(raster, bool).tolist()
print(json.dumps(out))
"""


def run_peers(builder: str, inputs: str, peers: list[tuple[str, dict]]) -> dict[str, np.ndarray]:
    if not Path(PEERS_PYTHON).exists():
        pytest.fail(f"no peer interpreter at {PEERS_PYTHON}: run `make peers-venv` or set SPIKENET_NIR_PEERS_PYTHON")
    code = SCRIPT.format(root=str(ROOT), builder=builder, inputs=inputs, peers=peers)
    done = subprocess.run([PEERS_PYTHON, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {key: np.asarray(value, dtype=bool) for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def spikenet_run(builder: str, inputs: str):
    graph = getattr(nir_peers, builder)()
    x = getattr(nir_peers, inputs)()
    return snir.simulate(snir.from_nir(graph, dt=nir_peers.DT_S * 1000.0), x, precision="float64")


def test_paper_single_lif_in_spikenet_and_four_peers():
    """The NIR paper's single LIF (Affine 1 -> LIF tau 2.5 ms, v_th 0.1, dt 0.1 ms): spikenet and snnTorch,
    Norse, Sinabs and Rockpool all spike at the exact solution's steps 460, 510, 710, 760."""
    peers = run_peers("paper_lif_graph", "paper_input", [("snntorch", {}), ("norse", {}), ("sinabs", {"nir_reset": True}),
                                                         ("rockpool", {})])
    ours = spikenet_run("paper_lif_graph", "paper_input")
    assert np.flatnonzero(ours.spikes["lif"][:, 0]).tolist() == [460, 510, 710, 760]
    lif_rasters = {key: raster for key, raster in peers.items() if key.endswith(":lif")}
    assert len(lif_rasters) == 4
    for key, raster in lif_rasters.items():
        assert np.flatnonzero(raster[:, 0]).tolist() == [460, 510, 710, 760], key


def test_two_layer_lif_graph_equals_the_exact_peer_with_one_step_per_layer():
    """Input(5) -> Affine -> LIF(8) -> Affine -> LIF(4) (tau 2 ms, v_th 0.1, dt 0.1 ms, 200 steps): layer 1 is
    identical to Sinabs (exact exponential, reset to 0); layer 2 spikes one step later in spikenet, because a
    layer-1 spike of step k acts on layer 2 over step k + 1 (the peers add it within step k)."""
    peers = run_peers("two_layer_lif_graph", "two_layer_input", [("sinabs", {"nir_reset": True})])
    ours = spikenet_run("two_layer_lif_graph", "two_layer_input")
    theirs_1, theirs_2 = peers["sinabs+nir_reset:lif1"], peers["sinabs+nir_reset:lif2"]
    assert theirs_1.sum() > 50 and theirs_2.sum() > 10
    np.testing.assert_array_equal(ours.spikes["lif1"], theirs_1)
    assert not ours.spikes["lif2"][0].any()
    np.testing.assert_array_equal(ours.spikes["lif2"][1:], theirs_2[:-1])
