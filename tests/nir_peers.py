"""Run NIR graphs in peer simulators (snnTorch, Norse, Sinabs, Rockpool) for cross-simulator checks.

A helper module, not a test file: torch and the peers are imported only inside functions, so importing
this module needs nothing but numpy (and ``nir`` for :func:`main`). The peers live in a separate
virtualenv (``/work/peers-venv``; ``torch==2.13.0`` CPU, ``nir==1.0.8``, ``nirtorch==2.6``,
``snntorch==1.0.0``, ``norse==1.1.0``, ``sinabs==3.1.3`` installed ``--no-deps`` because it pins
``nir<=1.0.4``, ``rockpool==3.1.0``)::

    /work/peers-venv/bin/python tests/nir_peers.py

Every ``run_<peer>(graph, inputs, dt_s)`` takes a ``nir.NIRGraph``, an input array of shape
``(T, *input_shape)`` (0/1 spikes; batch size 1) and the time step in seconds, and returns
``{name: raster}`` with one bool array of shape ``(T, n)`` for every spiking node (``LIF``,
``CubaLIF``, ``IF``) and for every ``Output`` node whose source is a spiking node. The graph given is
never modified (each function works on a deep copy).

Conventions shared by all four peers (read from their sources, see each docstring):

* Zero delay: an input spike at step k changes the membrane at step k, and a spike emitted by a
  layer at step k reaches the next layer at step k (the whole feed-forward chain is evaluated within
  one step). A spike at step k is reported at step k.
* A recurrent edge (CubaLIF -> Affine -> the same CubaLIF) delivers the spikes of step k - 1 at step k.
* Time constants are in seconds for snnTorch (with a hard-coded dt = 1e-4 s), Norse (dt is an
  argument, default 1e-3 s) and Rockpool (dt recovered from ``r``); in time steps for Sinabs.
* None of them uses ``v_reset`` (all reset to 0 or subtract the threshold).

``adapt=True`` (the default) rewrites the copy so that the peer's own discrete model realises the NIR
ODE at ``dt_s`` (unit changes and threshold scaling only, documented per peer); ``adapt=False``
hands the graph to the peer's importer unchanged (apart from structural workarounds that the
importer needs to load it at all).
"""

from __future__ import annotations

import contextlib
import copy
import io
import keyword
import logging
import warnings

import numpy as np

SPIKING_NODE_TYPES = ("LIF", "CubaLIF", "IF")


# --------------------------------------------------------------------------------------------------
# shared helpers


def _sanitize(name: str) -> str:
    """The module name that nirtorch gives a NIR node (nirtorch.nir_interpreter._sanitize_name and
    nirtorch.utils.sanitize_name both replace '.' by '_')."""
    name = name.replace(".", "_")
    return "nir_node_" + name if keyword.iskeyword(name) else name


def _spiking_nodes(graph) -> list[str]:
    return [name for name, node in graph.nodes.items() if type(node).__name__ in SPIKING_NODE_TYPES]


def _output_sources(graph) -> dict[str, str]:
    """Output node name -> name of the node that feeds it."""
    import nir

    outputs = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Output):
            sources = [src for src, dst in graph.edges if dst == name]
            if len(sources) == 1:
                outputs[name] = sources[0]
    return outputs


def _check_input(graph, inputs: np.ndarray) -> np.ndarray:
    import nir

    inputs = np.asarray(inputs, dtype=np.float32)
    shapes = [tuple(int(s) for s in node.input_type["input"]) for node in graph.nodes.values()
              if isinstance(node, nir.Input)]
    if len(shapes) != 1:
        raise ValueError(f"exactly one Input node is supported, found {len(shapes)}")
    if inputs.ndim < 2 or tuple(inputs.shape[1:]) != shapes[0]:
        raise ValueError(f"inputs must have shape (T, {shapes[0]}), got {inputs.shape}")
    return inputs


class _Recorder:
    """Forward hooks on the spiking modules that a peer built; module -> NIR node by leaf name.

    The leaf of a module's qualified name is the sanitized NIR node name (nirtorch registers the
    modules under those names). named_modules() is pre-order, so the outermost match wins: Norse's
    CubaLIF wrapper ``lif`` is taken, not its inner LIFBoxCell ``lif.lif``; snnTorch's nested
    recurrent GraphModule ``lif`` is not a spiking type, its Synaptic ``lif.lif`` is taken.
    """

    def __init__(self, model, node_names, spiking_types):
        wanted = {_sanitize(name): name for name in node_names}
        self.records: dict[str, list] = {}
        self.handles = []
        for qualified, module in model.named_modules():
            leaf = qualified.split(".")[-1]
            if leaf in wanted and wanted[leaf] not in self.records and isinstance(module, spiking_types):
                self.records[wanted[leaf]] = []
                self.handles.append(module.register_forward_hook(self._hook(wanted[leaf])))
        missing = sorted(set(node_names) - set(self.records))
        if missing:
            raise RuntimeError(f"no spiking module found for nodes {missing}")

    def _hook(self, name):
        def hook(module, args, output):
            out = output[0] if isinstance(output, tuple) else output
            self.records[name].append(out.detach().cpu().numpy().astype(np.float64))

        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


def _result(graph, per_node: dict[str, np.ndarray], counts: bool) -> dict[str, np.ndarray]:
    result = {}
    for name, raster in per_node.items():
        raster = raster.reshape(raster.shape[0], -1)
        result[name] = raster if counts else raster > 0
    for out_name, source in _output_sources(graph).items():
        if source in result and out_name not in result:
            result[out_name] = result[source]
    return result


def _per_step_rasters(rec: _Recorder, steps: int) -> dict[str, np.ndarray]:
    out = {}
    for name, chunks in rec.records.items():
        if len(chunks) != steps:
            raise RuntimeError(f"{name}: {len(chunks)} module calls for {steps} steps")
        out[name] = np.concatenate([c.reshape(1, -1) for c in chunks], axis=0)  # batch size 1
    return out


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _nest_recurrent_cubalif(graph):
    """Wrap each CubaLIF <-> Affine/Linear cycle into a 4-node NIRGraph (Input, CubaLIF, Affine,
    Output) kept under the CubaLIF's name, the structure Rockpool's importer (and snnTorch's
    _create_rnn_subgraph) reads as one recurrent layer. Works in place on a copy."""
    import nir

    edges = list(dict.fromkeys(graph.edges))
    for lif_name, lif in list(graph.nodes.items()):
        if not isinstance(lif, nir.CubaLIF):
            continue
        for w_name in [dst for src, dst in edges if src == lif_name]:
            w = graph.nodes.get(w_name)
            if not isinstance(w, (nir.Affine, nir.Linear)):
                continue
            w_in = [src for src, dst in edges if dst == w_name]
            w_out = [dst for src, dst in edges if src == w_name]
            if w_in == [lif_name] and w_out == [lif_name]:
                sub = nir.NIRGraph(
                    nodes={
                        "input": nir.Input(lif.input_type),
                        lif_name: lif,
                        w_name: w,
                        "output": nir.Output(lif.output_type),
                    },
                    edges=[("input", lif_name), (lif_name, w_name), (w_name, lif_name), (lif_name, "output")],
                    type_check=False,
                )
                edges = [e for e in edges if e not in ((lif_name, w_name), (w_name, lif_name))]
                del graph.nodes[w_name]
                graph.nodes[lif_name] = sub
                break
    graph.edges = edges
    return graph


# --------------------------------------------------------------------------------------------------
# snnTorch


def run_snntorch(graph, inputs: np.ndarray, dt_s: float, adapt: bool = True, rnn_subgraph: bool = False,
                 counts: bool = False) -> dict[str, np.ndarray]:
    """Run ``graph`` in snnTorch (``snntorch.import_nir.import_from_nir``, snntorch 1.0.0).

    Import (snntorch/import_nir.py): ``import_from_nir`` first wraps each LIF/CubaLIF <-> Affine/Linear
    cycle into a nested NIRGraph (``_replace_rnn_subgraph_with_nirgraph`` / ``_create_rnn_subgraph``),
    maps nodes with ``_nir_to_snntorch_module(init_hidden=True)`` and wires them with
    ``nirtorch.nir_to_torch`` (nirtorch 2.6, torch.fx). nir_to_torch recurses into the nested graph
    and maps its nodes one by one, so the ``RLeaky``/``RSynaptic`` branch of
    ``_nir_to_snntorch_module`` is never reached; and ``_create_rnn_subgraph`` wires the nested
    graph as ``input -> W_rec``, ``W_rec -> LIF``, ``LIF -> W_rec`` (edge ``(f"{sg_key}.input",
    w_nk)``), so the feed-forward input goes **through the recurrent weights**: the LIF gets
    W_rec (x[k] + z[k-1]) + b_rec (**bug**; with W_rec = 0 the layer never spikes). Hence by default
    (``rnn_subgraph=False``) this function skips that rewrite and calls ``nirtorch.nir_to_torch``
    itself with the same node map as ``import_from_nir`` on the flat graph, where nirtorch closes the
    cycle correctly; ``rnn_subgraph=True`` uses ``import_from_nir`` as it is. For acyclic graphs the
    two are identical.

    Discretisation (``dt = 1e-4`` is hard-coded in ``_nir_to_snntorch_module``; time constants in s):

    * Affine/Linear -> ``torch.nn.Linear`` (bias from the node); Conv2d -> ``nn.Conv2d``; Flatten ->
      ``nn.Flatten(start_dim, end_dim)`` (the NIR dims are passed unshifted, so they count the batch
      dim); AvgPool2d -> ``nn.AvgPool2d``; SumPool2d and LI are not handled (nir_to_torch's
      DEFAULT_MAP gives SumPool2d an ``LPPool2d(norm_type=1)``).
    * LIF -> ``snn.Leaky(beta = 1 - dt/tau, threshold = v_th / (r dt/tau), reset_mechanism="zero",
      reset_delay=False)``: in NIR units v[k] = (1 - dt/tau) v[k-1] + (r dt/tau) I[k] (forward Euler
      with the current step's input), spike if v[k] > v_th (``SpikingNeuron.fire``: ATan forward is
      ``x > 0``), then v[k] = 0 at once (``Leaky.forward``, reset_delay False). ``v_leak`` must be 0;
      ``v_reset`` is ignored (always 0); tau, r and v_th must give one threshold for the whole layer
      (``np.unique(w_scale)[0]`` is used).
    * CubaLIF -> ``snn.Synaptic(alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem, threshold = v_th /
      (w_in dt/tau_syn), reset "zero", reset_delay=False)``; requires ``r == tau_mem/dt`` (asserted) so
      that I[k] = (1 - dt/tau_syn) I[k-1] + (w_in dt/tau_syn) S[k] and v[k] = (1 - dt/tau_mem) v[k-1] +
      I[k]; spike if v > v_th; v reset to 0 at once, I not reset (``Synaptic._base_zero``).
    * IF -> ``snn.Leaky(beta=0.9, init_hidden=False)`` with the default subtractive reset: a leaky
      neuron, and with init_hidden False it returns a tuple that nir_to_torch does not unpack. Not
      usable.

    Timing (nirtorch/nir_interpreter.py ``_construct_fx_graph``): one call of the GraphModule is one
    step; nodes are called in dependency order, so Input -> Affine -> LIF -> Affine -> LIF all see
    step k's values (zero delay per layer). Recurrent inputs are read from ``state[<src>_prev_output]``
    (``_find_input_nodes``), i.e. the recurrent Affine's output of step k - 1; at step 0 it is
    ``torch.zeros(1)``, so a recurrent Affine's bias is missing at step 0 only.

    ``adapt``: snnTorch always assumes dt = 1e-4 s; for another ``dt_s`` every tau (LIF tau, CubaLIF
    tau_syn and tau_mem) is multiplied by 1e-4/dt_s, which leaves all dt/tau ratios as intended (the
    CubaLIF condition becomes r == tau_mem/dt_s). With ``adapt=False`` and dt_s != 1e-4 the run uses
    1e-4 anyway.
    """
    import nir
    import nirtorch
    import snntorch
    import torch
    from snntorch.import_nir import _nir_to_snntorch_module, import_from_nir

    torch.set_num_threads(1)
    inputs = _check_input(graph, inputs)
    g = copy.deepcopy(graph)
    spiking = _spiking_nodes(g)
    if adapt and not np.isclose(dt_s, 1e-4, rtol=1e-12, atol=0):
        scale = 1e-4 / dt_s
        for node in g.nodes.values():
            if isinstance(node, nir.LIF):
                node.tau = node.tau * scale
            elif isinstance(node, nir.CubaLIF):
                node.tau_syn = node.tau_syn * scale
                node.tau_mem = node.tau_mem * scale
    with contextlib.redirect_stdout(io.StringIO()):  # snnTorch print()s its weight-scale hack
        if rnn_subgraph:
            model = import_from_nir(g)
        else:  # import_from_nir without _replace_rnn_subgraph_with_nirgraph
            def to_module(node):
                return _nir_to_snntorch_module(node, init_hidden=True)

            node_types = (nir.Affine, nir.Linear, nir.Conv2d, nir.Flatten, nir.AvgPool2d, nir.IF, nir.LIF,
                          nir.CubaLIF)
            g.edges = list(dict.fromkeys(g.edges))
            model = nirtorch.nir_to_torch(g, {t: to_module for t in node_types})
    model.eval()
    types = (snntorch._neurons.SpikingNeuron,)
    rec = _Recorder(model, spiking, types)
    state = None
    with torch.no_grad():
        for t in range(inputs.shape[0]):
            _, state = model(torch.from_numpy(inputs[t][None]), state)
    rec.remove()
    return _result(graph, _per_step_rasters(rec, inputs.shape[0]), counts)


# --------------------------------------------------------------------------------------------------
# Norse


def run_norse(graph, inputs: np.ndarray, dt_s: float, adapt: bool = True,
              counts: bool = False) -> dict[str, np.ndarray]:
    """Run ``graph`` in Norse (``norse.torch.from_nir``, norse 1.1.0).

    Import (norse/torch/utils/import_nir.py): ``from_nir(node, ignore_warnings, reset_method=
    reset_value, dt=0.001)`` calls the deprecated ``nirtorch.load`` (nirtorch 2.6
    ``from_nir._map_graph_to_torch`` -> ``graph_executor.GraphExecutor``) with
    ``_import_norse_module``. dt is an argument (default 1e-3 s); time constants in seconds.

    Discretisation (forward Euler with the current step's input):

    * Affine -> ``nn.Linear`` with the node's bias; Linear -> ``nn.Linear(bias=False)``; Conv2d ->
      ``nn.Conv2d``; Flatten -> ``nn.Flatten(start_dim, end_dim)`` (unshifted: counts the batch dim);
      SumPool2d -> ``nn.LPPool2d(norm_type=1)`` (padding ignored with a warning). LI is not mapped
      (``_import_norse_module`` returns None for it).
    * LIF -> ``LIFBoxCell`` (functional/lif_box.py ``lif_box_feed_forward_step``): v[k] = v[k-1] +
      dt/tau (I[k] + v_leak - v[k-1]); **r is ignored** (only a logged warning when r != 1); spike if
      v > v_th (``threshold`` method "super" -> ``heaviside`` = ``torch.gt(x, 0)``); v = v_reset
      where ``v_reset`` is ``LIFBoxParameters``' default 0 (**NIR v_reset ignored**); the
      ``reset_method`` argument is not passed to LIF (always ``reset_value``). Initial v = v_leak.
    * CubaLIF -> ``import_nir.CubaLIF`` = w_in * S -> ``LIBoxCell(tau_mem_inv=1/tau_syn,
      v_leak=node.v_leak)`` -> times r -> ``LIFBoxCell(1/tau_mem, v_th, v_leak, reset_method)``:
      I[k] = I[k-1] + dt/tau_syn (v_leak - I[k-1] + w_in S[k]) (**v_leak also leaks the current**),
      v[k] = v[k-1] + dt/tau_mem (v_leak - v[k-1] + r I[k]); spike v > v_th; reset to 0 (or by
      subtraction with ``reset_method=reset_subtract``); I not reset.
    * IF -> ``IAFCell`` (functional/iaf.py ``iaf_feed_forward_step``): v[k] = v[k-1] + I[k] (**no r,
      no dt**), spike v > v_th, v = 0.

    Timing (nirtorch/graph_executor.py ``GraphExecutor.forward``): one call is one step; modules run in
    ``execution_order`` (``graph_utils.trace_execution``: depth-first pre-order from the Input node);
    an input whose source already ran this step is read from ``new_state.cache`` (same step, zero
    delay), else from the previous step's cache (``_apply_module``), so the recurrent Affine reaches
    the CubaLIF one step later and is absent at step 0 (bias included). Caveat: DFS pre-order is
    not a topological order, so in a graph where two paths of different length merge, the shorter
    path's merge node can run before the longer path's last node and get that input one step late;
    chains and self-recurrence (the graphs here) are unaffected.

    ``adapt``: only passes ``dt=dt_s`` (always done); nothing else is rewritten (Norse's missing r
    on LIF is not compensated: give LIF nodes r = 1 for parity).
    """
    import norse.torch as norse_torch
    import torch
    from norse.torch.module.iaf import IAFCell
    from norse.torch.module.lif_box import LIFBoxCell
    from norse.torch.utils import import_nir as norse_import_nir

    torch.set_num_threads(1)
    inputs = _check_input(graph, inputs)
    g = copy.deepcopy(graph)
    spiking = _spiking_nodes(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # nirtorch.load is deprecated
        model = norse_torch.from_nir(g, dt=dt_s)
    model.eval()
    rec = _Recorder(model, spiking, (norse_import_nir.CubaLIF, LIFBoxCell, IAFCell))
    state = None
    with torch.no_grad():
        for t in range(inputs.shape[0]):
            _, state = model(torch.from_numpy(inputs[t][None]), state)
    rec.remove()
    return _result(graph, _per_step_rasters(rec, inputs.shape[0]), counts)


# --------------------------------------------------------------------------------------------------
# Sinabs


def run_sinabs(graph, inputs: np.ndarray, dt_s: float, adapt: bool = True, nir_reset: bool = False,
               counts: bool = False) -> dict[str, np.ndarray]:
    """Run ``graph`` in Sinabs (``sinabs.from_nir``, sinabs 3.1.3 on nir 1.0.8 / nirtorch 2.6).

    Import (sinabs/nir.py): ``from_nir(node, batch_size, num_timesteps)`` calls the deprecated
    ``nirtorch.load`` with ``_import_sinabs_module``. Layers are the ``*Squeeze`` variants: input is
    ``(batch*time, ...)`` and **each layer processes the whole sequence** in one call
    (layers/functional/lif.py ``lif_forward`` loops over time), the GraphExecutor runs once. No dt:
    **time constants are in time steps** (``sinabs.to_nir`` exports ``tau_mem`` in steps as well).

    Discretisation:

    * Affine -> ``nn.Linear`` with bias; Conv1d/Conv2d -> ``nn.Conv*d``; SumPool2d -> ``sl.SumPool2d``;
      Flatten -> ``nn.Flatten(start_dim+1, end_dim+1)`` (shifted for the batch dim); Linear, CubaLIF
      are **not mapped** (the node becomes None and is skipped by the executor).
    * LIF -> ``sl.LIFSqueeze(tau_mem=tau, spike_threshold=v_th, tau_syn=None, norm_input=False,
      min_v_mem=None)`` with the defaults ``spike_fn=MultiSpike``, ``reset_fn=MembraneSubtract()``:
      v[k] = exp(-1/tau) v[k-1] + I[k] (``lif_forward_single``; **r ignored**, v_leak must be 0,
      no dt/tau input gain); spikes = floor(v / v_th) for v > 0, i.e. **v >= v_th** and **several
      spikes per step** (activation/spike_generation.py ``MultiSpike``); reset **by subtraction** of
      spikes * v_th; **v_reset ignored**.
    * IF -> ``sl.IAFSqueeze(spike_threshold=v_th, min_v_mem=-v_th)``: v[k] = v[k-1] + I[k], clipped
      below at -v_th, MultiSpike, subtractive reset (r ignored).
    * LI -> ``sl.ExpLeakSqueeze(tau_mem=tau, norm_input=False)`` (r must be 1, v_leak 0).

    Timing: layer by layer over the whole sequence, each layer's output at step k is the next
    layer's input at step k (zero delay); input at step k enters v at step k. Recurrence cannot be
    expressed (one executor call for the whole run).

    ``adapt=True`` rewrites the copy so that Sinabs' map equals the exact exponential integration of
    the NIR ODE for input held over a step: LIF tau -> tau/dt_s (steps), v_th -> v_th / (r (1 -
    exp(-dt_s/tau))) (Sinabs' v is the NIR v divided by r (1 - e^{-dt/tau})); IF v_th -> v_th /
    (r dt_s). ``nir_reset=True`` further swaps each LIF/IF layer to ``SingleSpike`` with
    ``MembraneReset`` (reset to 0; fires at v >= v_th) instead of MultiSpike + subtraction; it needs
    v_reset == 0 (``MembraneReset.__call__`` adds ``reset_value`` to every neuron, not only to
    spiking ones). Rasters are spike counts > 0 unless ``counts=True``.
    """
    import nir
    import sinabs
    import sinabs.layers as sl
    import torch
    from sinabs.activation import MembraneReset, SingleSpike

    torch.set_num_threads(1)
    inputs = _check_input(graph, inputs)
    g = copy.deepcopy(graph)
    spiking = _spiking_nodes(g)
    for name in spiking:
        if isinstance(g.nodes[name], nir.CubaLIF):
            raise NotImplementedError("sinabs.from_nir does not map CubaLIF")
    if adapt:
        for node in g.nodes.values():
            if isinstance(node, nir.LIF):
                tau = _arr(node.tau)
                node.v_threshold = (_arr(node.v_threshold) / (_arr(node.r) * -np.expm1(-dt_s / tau))).astype(np.float32)
                node.tau = (tau / dt_s).astype(np.float32)
            elif isinstance(node, nir.IF):
                node.v_threshold = (_arr(node.v_threshold) / (_arr(node.r) * dt_s)).astype(np.float32)
    if nir_reset:
        for name in spiking:
            if not np.allclose(g.nodes[name].v_reset, 0.0):
                raise NotImplementedError("nir_reset needs v_reset == 0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = sinabs.from_nir(g, batch_size=1)
    model.eval()
    layer_types = (sl.LIF, sl.IAF)
    if nir_reset:
        for _, module in model.named_modules():
            if isinstance(module, layer_types):
                module.spike_fn = SingleSpike
                module.reset_fn = MembraneReset(reset_value=0.0)
    rec = _Recorder(model, spiking, layer_types)
    with torch.no_grad():
        model(torch.from_numpy(inputs))  # (batch*time, ...) with batch 1
    rec.remove()
    per_node = {}
    for name, chunks in rec.records.items():
        if len(chunks) != 1:
            raise RuntimeError(f"{name}: {len(chunks)} calls, expected one for the whole sequence")
        per_node[name] = chunks[0].reshape(inputs.shape[0], -1)
    return _result(graph, per_node, counts)


# --------------------------------------------------------------------------------------------------
# Rockpool


def run_rockpool(graph, inputs: np.ndarray, dt_s: float, adapt: bool = True,
                 counts: bool = False) -> dict[str, np.ndarray]:
    """Run ``graph`` in Rockpool (``rockpool.nn.modules.from_nir``, rockpool 3.1.0).

    Import (rockpool/nn/modules/torch/nir.py): ``from_nir`` calls the deprecated ``nirtorch.load``
    with ``_convert_nir_to_rockpool_torch``. Modules process **the whole sequence** ``(batch, time,
    n)`` per call, the GraphExecutor runs once. There is no dt argument: each neuron module gets
    ``dt = min(tau_mem / (1 + r))`` (Rockpool's ``to_nir`` writes r = tau e^{-dt/tau} / dt, so
    **r encodes dt, it is not an input gain**); time constants in seconds.

    Discretisation:

    * Affine -> ``LinearTorch(weight=W.T, bias)``; Linear -> ``LinearTorch(has_bias=False)``; LI ->
      ``ExpSynTorch`` (tau cast to int!); anything else (Conv2d, Flatten, SumPool2d, IF) raises
      NotImplementedError.
    * LIF -> ``LIFNeuronTorch(tau_mem=node.tau_mem, ...)``: **bug**: ``nir.LIF`` has ``tau``, not
      ``tau_mem``, so the import raises AttributeError; this function sets ``node.tau_mem = node.tau``
      on the copy as a workaround. lif_neuron_torch.py ``LIFNeuronTorch.forward``: v[k] =
      exp(-dt/tau) v[k-1] + I[k] + bias with bias = **v_leak added every step**; spikes =
      floor(v / v_th) where v >= v_th (``StepPWL``: **>=, several per step**); reset **by
      subtraction** of spikes * v_th; v_reset ignored.
    * CubaLIF -> ``LIFTorch(tau_mem, tau_syn, threshold, bias=v_leak, dt)`` (lif_torch.py
      ``LIFTorch.forward``): isyn[k] = exp(-dt/tau_syn) (isyn[k-1] + S[k] + W_rec z[k-1]), v[k] =
      exp(-dt/tau_mem) v[k-1] + isyn[k] + bias; StepPWL spikes, subtractive reset; **w_in and r
      (beyond dt) ignored**.
    * A nested NIRGraph of exactly 4 nodes (Input, CubaLIF, Affine|Linear, Output) becomes one
      ``LIFTorch(has_rec=True, w_rec=W.T)``; the recurrent Affine's bias is dropped (warning). A flat
      CubaLIF <-> Affine cycle would be two modules run once each, i.e. no recurrence, so this
      function nests such cycles first (``_nest_recurrent_cubalif``).

    Timing: layer by layer over the whole sequence: zero delay between layers, input at step k
    enters v at step k (through the synaptic decay: isyn gets S[k] then decays once), recurrent
    spikes of step k - 1 enter at step k.

    ``adapt=True`` rewrites the copy so that Rockpool's map equals the exact exponential integration
    of the NIR ODE for input held over a step: r -> tau/dt_s - 1 (so that Rockpool's dt is dt_s for
    every neuron); LIF v_th -> v_th / (r (1 - a)); CubaLIF v_th -> v_th b / ((1 - a)(1 - b) r w_in)
    with a = exp(-dt/tau_mem), b = exp(-dt/tau_syn) (Rockpool's isyn is NIR's I times b / ((1 - b)
    w_in), its v NIR's v divided by (1 - a) r); v_leak must be 0. Reset stays subtractive and
    multi-spike (Rockpool has no reset-to-value). Rasters are spike counts > 0 unless ``counts=True``.
    """
    import nir
    import torch
    from rockpool.nn.modules import LIFNeuronTorch, LIFTorch
    from rockpool.nn.modules.torch.nir import from_nir

    torch.set_num_threads(1)
    inputs = _check_input(graph, inputs)
    g = copy.deepcopy(graph)
    spiking = _spiking_nodes(g)
    for node in g.nodes.values():
        if isinstance(node, nir.LIF):
            if adapt:
                if not np.allclose(node.v_leak, 0.0):
                    raise NotImplementedError("rockpool adds v_leak as a bias every step; need v_leak == 0")
                tau, r = _arr(node.tau), _arr(node.r)
                node.v_threshold = (_arr(node.v_threshold) / (r * -np.expm1(-dt_s / tau))).astype(np.float32)
                node.r = (tau / dt_s - 1.0).astype(np.float32)
            node.tau_mem = node.tau  # rockpool 3.1.0 reads node.tau_mem on nir.LIF
        elif isinstance(node, nir.CubaLIF) and adapt:
            if not np.allclose(node.v_leak, 0.0):
                raise NotImplementedError("rockpool adds v_leak as a bias every step; need v_leak == 0")
            tm, ts, r, w_in = _arr(node.tau_mem), _arr(node.tau_syn), _arr(node.r), _arr(node.w_in)
            one_minus_a, one_minus_b = -np.expm1(-dt_s / tm), -np.expm1(-dt_s / ts)
            node.v_threshold = (_arr(node.v_threshold) * (1.0 - one_minus_b)
                                / (one_minus_a * one_minus_b * r * w_in)).astype(np.float32)
            node.r = (tm / dt_s - 1.0).astype(np.float32)
    g = _nest_recurrent_cubalif(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = from_nir(g)
    model.eval()
    rec = _Recorder(model, spiking, (LIFNeuronTorch, LIFTorch))
    with torch.no_grad():
        model(torch.from_numpy(inputs.reshape(1, inputs.shape[0], -1)))
    rec.remove()
    per_node = {}
    for name, chunks in rec.records.items():
        if len(chunks) != 1:
            raise RuntimeError(f"{name}: {len(chunks)} calls, expected one for the whole sequence")
        per_node[name] = chunks[0].reshape(inputs.shape[0], -1)
    return _result(graph, per_node, counts)


PEERS = {"snntorch": run_snntorch, "norse": run_norse, "sinabs": run_sinabs, "rockpool": run_rockpool}


# --------------------------------------------------------------------------------------------------
# example graphs


PAPER_D0 = [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0,
            1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
            1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
PAPER_SPIKE_STEPS = [460, 510, 710, 760]  # the paper's exact solution
DT_S = 1e-4


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def paper_lif_graph():
    """(a) The NIR paper's single LIF: Input(1) -> Affine(1, 0) -> LIF(tau 2.5 ms, r 1, v_th 0.1) -> Output."""
    import nir

    nodes = {
        "input": nir.Input(_f32([1]).astype(int)),
        "affine": nir.Affine(weight=_f32([[1.0]]), bias=_f32([0.0])),
        "lif": nir.LIF(tau=_f32([0.0025]), r=_f32([1.0]), v_leak=_f32([0.0]), v_threshold=_f32([0.1]),
                       v_reset=_f32([0.0])),
        "output": nir.Output(_f32([1]).astype(int)),
    }
    edges = [("input", "affine"), ("affine", "lif"), ("lif", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def paper_input() -> np.ndarray:
    x = np.zeros((10 * len(PAPER_D0), 1), dtype=np.float32)
    x[::10, 0] = PAPER_D0
    return x


def two_layer_lif_graph(seed: int = 1):
    """(b) Input(5) -> Affine(8x5) -> LIF(8) -> Affine(4x8) -> LIF(4) -> Output; tau 2 ms, r 1, v_th 0.1.

    One tau and one threshold per layer (snnTorch needs that), r = 1 (Norse ignores r on LIF),
    v_leak = v_reset = 0 (nobody but spikenet uses v_reset)."""
    import nir

    rng = np.random.default_rng(seed)
    w1 = rng.uniform(-0.3, 0.6, size=(8, 5)).astype(np.float32)
    b1 = rng.uniform(-0.05, 0.05, size=8).astype(np.float32)
    w2 = rng.uniform(-0.4, 0.8, size=(4, 8)).astype(np.float32)
    b2 = np.zeros(4, dtype=np.float32)

    def lif(n):
        return nir.LIF(tau=np.full(n, 2e-3, np.float32), r=np.ones(n, np.float32), v_leak=np.zeros(n, np.float32),
                       v_threshold=np.full(n, 0.1, np.float32), v_reset=np.zeros(n, np.float32))

    nodes = {
        "input": nir.Input(np.array([5])),
        "fc1": nir.Affine(weight=w1, bias=b1),
        "lif1": lif(8),
        "fc2": nir.Affine(weight=w2, bias=b2),
        "lif2": lif(4),
        "output": nir.Output(np.array([4])),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def two_layer_input(seed: int = 2, steps: int = 200, rate: float = 0.25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((steps, 5)) < rate).astype(np.float32)


def recurrent_cubalif_graph(seed: int = 3):
    """(c) Input(5) -> Affine(6x5) -> CubaLIF(6) -> Output, with CubaLIF -> Affine(6x6, bias 0) -> CubaLIF.

    tau_syn 0.5 ms, tau_mem 1 ms, r = tau_mem/dt = 10 (snnTorch asserts r == tau_mem/1e-4), w_in 1,
    v_th 3 (one value: snnTorch), v_leak = v_reset = 0; recurrent bias 0 (snnTorch/Norse drop it at
    step 0, Rockpool drops it always)."""
    import nir

    rng = np.random.default_rng(seed)
    n = 6
    w_in = rng.uniform(0.0, 1.5, size=(n, 5)).astype(np.float32)
    w_rec = rng.normal(0.0, 0.6, size=(n, n)).astype(np.float32)
    np.fill_diagonal(w_rec, 0.0)
    nodes = {
        "input": nir.Input(np.array([5])),
        "fc_in": nir.Affine(weight=w_in, bias=np.zeros(n, np.float32)),
        "lif": nir.CubaLIF(tau_syn=np.full(n, 5e-4, np.float32), tau_mem=np.full(n, 1e-3, np.float32),
                           r=np.full(n, 1e-3 / DT_S, np.float32), v_leak=np.zeros(n, np.float32),
                           v_threshold=np.full(n, 3.0, np.float32), v_reset=np.zeros(n, np.float32),
                           w_in=np.ones(n, np.float32)),
        "w_rec": nir.Affine(weight=w_rec, bias=np.zeros(n, np.float32)),
        "output": nir.Output(np.array([n])),
    }
    edges = [("input", "fc_in"), ("fc_in", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def recurrent_input(seed: int = 4, steps: int = 200, rate: float = 0.25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((steps, 5)) < rate).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# main


def _try(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # report and go on with the other peers
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def _raster_summary(raster: np.ndarray) -> str:
    counts = raster.sum(axis=0).astype(int).tolist()
    return f"counts {counts} total {int(raster.sum())}"


def _compare(rasters: dict[str, dict[str, np.ndarray]], node: str) -> list[str]:
    names = [p for p in rasters if rasters[p] is not None and node in rasters[p]]
    lines = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ra, rb = rasters[a][node], rasters[b][node]
            differ = int((ra != rb).sum())
            first = np.argwhere(ra != rb)
            where = f", first at step {int(first[0][0])} neuron {int(first[0][1])}" if differ else ""
            lines.append(f"    {a} vs {b}: {differ} differing (step, neuron) entries{where}")
    return lines


def main() -> None:
    logging.getLogger().setLevel(logging.ERROR)  # Norse logs a warning per LIF with r != 1
    variants = [
        ("snntorch", run_snntorch, {}),
        ("snntorch(rnn_subgraph)", run_snntorch, {"rnn_subgraph": True}),
        ("norse", run_norse, {}),
        ("sinabs", run_sinabs, {}),
        ("sinabs(nir_reset)", run_sinabs, {"nir_reset": True}),
        ("sinabs(raw)", run_sinabs, {"adapt": False}),
        ("rockpool", run_rockpool, {}),
        ("rockpool(raw)", run_rockpool, {"adapt": False}),
    ]

    print(f"(a) NIR paper single LIF, dt = {DT_S} s, 1000 steps; exact solution: {PAPER_SPIKE_STEPS}")
    graph, x = paper_lif_graph(), paper_input()
    for name, fn, kw in variants:
        out, err = _try(fn, graph, x, DT_S, **kw)
        if err:
            print(f"  {name:22s} FAILED {err}")
            continue
        cnt, _ = _try(fn, graph, x, DT_S, counts=True, **kw)
        multi = "" if cnt is None or cnt["lif"].max() <= 1 else f" (max {int(cnt['lif'].max())} spikes in one step)"
        print(f"  {name:22s} {np.flatnonzero(out['output'][:, 0]).tolist()}{multi}")

    for label, graph, x, node in [
        ("(b) 2-layer LIF 5->8->4, 200 steps", two_layer_lif_graph(), two_layer_input(), "lif2"),
        ("(c) recurrent CubaLIF 5->6 (+6x6 recurrent Affine), 200 steps", recurrent_cubalif_graph(),
         recurrent_input(), "lif"),
    ]:
        print(f"{label}; input spikes {int(x.sum())}")
        rasters = {}
        for name, fn, kw in variants:
            out, err = _try(fn, graph, x, DT_S, **kw)
            rasters[name] = out
            if err:
                print(f"  {name:22s} FAILED {err}")
                continue
            for n_name in _spiking_nodes(graph):
                print(f"  {name:22s} {n_name:5s} {_raster_summary(out[n_name])}")
            first = np.argwhere(out[node])[:8].tolist()
            print(f"  {'':22s} {node:5s} first (step, neuron): {first}")
        for n_name in _spiking_nodes(graph):
            print(f"  pairwise differences, {n_name}:")
            for line in _compare(rasters, n_name):
                print(line)


if __name__ == "__main__":
    main()
