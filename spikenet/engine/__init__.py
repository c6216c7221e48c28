"""The JAX event engine: a :class:`~spikenet.Network` compiled into jitted step functions.

Data flow (one module each):

1. ``layout``   network -> flat input buffer (channels, delta targets), delay ring; ``rows``: ELL rows per
   source (degree buckets for hubs), plastic rows, the memory estimate (numpy only)
2. ``leaves``   which model/rule fields are traced arguments; ``params``: run values (with
   ``parameters=`` overrides) -> the step's argument pytree (rows' weights, decay factors, leaves)
3. ``state``    typed state records, the initial state, plastic weight/trace accessors
4. ``step``     one step in Brian2's order (groups, thresholds, synapses, resets); ``plastic``:
   the plastic phases; ``delivery``: how static rows reach the buffer ("native", "loop" or "compacted";
   ``native``: the C++ kernel behind "native")
5. ``inputs``   checks of host-driven spikes/modulator and the per-chunk rasters
6. ``chunk``    a ``lax.scan`` over a chunk of steps with state monitors sampled every ``every``
7. ``runner``   the host loop: compile cache, counts, recorded spikes/states, finiteness checks
8. ``compiled`` :class:`CompiledNetwork` (run, run_seeds, run_sweep) and :class:`Result`
"""

from spikenet.engine.compiled import ENGINES, PRECISIONS, CompiledNetwork, Result, sweep_points
from spikenet.engine.delivery import DELIVERIES, CompactedRows, NativeRows, SpikeLoop
from spikenet.engine.layout import DENSE_MEMORY_LIMIT_BYTES
from spikenet.engine.state import NetworkState, PlasticState
from spikenet.engine.shard import ShardedCompiledNetwork
from spikenet.network import register_compiler

register_compiler(CompiledNetwork, ShardedCompiledNetwork)

__all__ = ["CompiledNetwork", "Result", "NetworkState", "PlasticState", "PRECISIONS", "ENGINES", "DELIVERIES",
           "SpikeLoop", "NativeRows", "CompactedRows", "DENSE_MEMORY_LIMIT_BYTES", "sweep_points",
           "ShardedCompiledNetwork"]
