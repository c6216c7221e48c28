r"""NIR convolution and pooling nodes as sparse linear maps on flattened tensors.

NIR (the Neuromorphic Intermediate Representation, package ``nir`` 1.0.8, ``nir/ir/conv.py`` and
``nir/ir/pooling.py``) describes ``Conv1d``, ``Conv2d``, ``SumPool2d`` and ``AvgPool2d`` nodes
with PyTorch's semantics. Without a batch dimension, each is a linear map from the C-order
flattened input tensor to the C-order flattened output tensor; this module builds that map as a
:class:`scipy.sparse.csr_matrix` ``M`` so that ``M @ x.ravel()`` equals the layer's output
``y.ravel()``. This module does not import ``nir``.

=============  =====================================  ==========================================
NIR node       fields used                            map
=============  =====================================  ==========================================
``Conv1d``     ``weight (C_out, C_in/groups, K)``,    :func:`conv_matrix`, input ``(C_in, N)``
               ``stride, padding, dilation, groups``
``Conv2d``     ``weight (C_out, C_in/groups, KH,      :func:`conv_matrix`, input ``(C_in, H, W)``
               KW)``, as for ``Conv1d``
``SumPool2d``  ``kernel_size, stride, padding``       :func:`pool_matrix` with ``kind="sum"``
``AvgPool2d``  ``kernel_size, stride, padding``       :func:`pool_matrix` with ``kind="avg"``
=============  =====================================  ==========================================

Convolution is cross-correlation, as ``torch.nn.functional.conv1d`` / ``conv2d`` compute it
(no bias; the caller adds ``bias`` per output channel), with zero padding:

.. math::

    y[c_o, \mathbf{o}] = \sum_{c=0}^{C_{in}/g - 1} \sum_{\mathbf{k}}
        w[c_o, c, \mathbf{k}]\; x_{pad}[g(c_o)\, C_{in}/g + c,\;
        \mathbf{o} \odot \mathbf{s} + \mathbf{k} \odot \mathbf{d}],

where :math:`g(c_o) = \lfloor c_o / (C_{out}/g) \rfloor` is the group of output channel
:math:`c_o`. Padding taps read zeros and so are left out of the matrix, as are taps whose
weight is exactly zero. The output size per spatial dimension is NIR's
(``nir.ir.utils.calculate_conv_output``) and PyTorch's
:math:`\lfloor (N + p_l + p_r - d (K - 1) - 1) / s \rfloor + 1`. ``padding="valid"`` is no
padding; ``padding="same"`` follows PyTorch: total padding :math:`d (K - 1)`, of which
:math:`\lfloor d (K - 1) / 2 \rfloor` on the left and the rest on the right, and like PyTorch
it requires stride 1 (NIR's shape inference returns the input size for ``"same"`` whatever the
stride, which no stride above 1 produces).

Pooling is channel-wise: a sum over the window (``SumPool2d``), or that sum divided by
``KH * KW`` (``AvgPool2d``, PyTorch's ``count_include_pad=True`` default: padding counts in the
divisor; with PyTorch's default ``ceil_mode=False`` every window lies inside the padded input,
so the divisor is always ``KH * KW``). Like PyTorch, padding may be at most half the kernel
size per dimension.

:func:`dense_macs_conv` and :func:`dense_macs_pool` count the multiply-accumulates of one dense
(ANN) forward pass, the baseline that event-driven execution is compared with.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import scipy.sparse

from spikenet.validation import SpikenetError

__all__ = ["conv_matrix", "pool_matrix", "dense_macs_conv", "dense_macs_pool"]


def _as_int(value: Any, node: str, field: str) -> int:
    """Return ``value`` as an int, raising unless it is a (possibly 0-d array) whole number."""
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise SpikenetError(f"NIR node {node!r}: {field} must be an integer; got {value!r}")
    item = array.item()
    if not np.isfinite(item) or item != int(item):
        raise SpikenetError(f"NIR node {node!r}: {field} must be an integer; got {value!r}")
    return int(item)


def _per_dim(value: Any, ndim: int, node: str, field: str) -> tuple[int, ...]:
    """Return ``value`` (an int, or a sequence / array of ``ndim`` ints) as an ``ndim``-tuple."""
    array = np.asarray(value)
    if array.ndim == 0:
        return (_as_int(array, node, field),) * ndim
    if array.ndim != 1 or array.shape[0] not in (1, ndim):
        raise SpikenetError(
            f"NIR node {node!r}: {field} must be an integer or {ndim} integers; got {value!r}"
        )
    values = tuple(_as_int(v, node, field) for v in array)
    return values * ndim if len(values) == 1 else values


def _require_positive(values: tuple[int, ...], node: str, field: str) -> None:
    if any(v < 1 for v in values):
        raise SpikenetError(f"NIR node {node!r}: {field} must be >= 1; got {values}")


def _require_non_negative(values: tuple[int, ...], node: str, field: str) -> None:
    if any(v < 0 for v in values):
        raise SpikenetError(f"NIR node {node!r}: {field} must be >= 0; got {values}")


def _input_shape(input_shape: Any, ndim: int, node: str, what: str) -> tuple[int, ...]:
    """Validate a ``(C, *spatial)`` input shape with ``ndim`` spatial dimensions."""
    array = np.asarray(input_shape)
    if array.ndim != 1 or array.shape[0] != ndim + 1:
        raise SpikenetError(
            f"NIR node {node!r}: input_shape must be {what} ({ndim + 1} entries); got {input_shape!r}"
        )
    shape = tuple(_as_int(v, node, "input_shape") for v in array)
    _require_positive(shape, node, "input_shape")
    return shape


def _output_sizes(
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pad_lo: tuple[int, ...],
    pad_hi: tuple[int, ...],
    dilation: tuple[int, ...],
    node: str,
) -> tuple[int, ...]:
    """PyTorch's output size per spatial dimension, raising if one is < 1."""
    sizes = tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, lo, hi, d in zip(spatial, kernel, stride, pad_lo, pad_hi, dilation)
    )
    if any(size < 1 for size in sizes):
        raise SpikenetError(
            f"NIR node {node!r}: output size must be >= 1 per spatial dimension; got {sizes} for "
            f"input_shape {spatial}, kernel {kernel}, stride {stride}, padding "
            f"{tuple(zip(pad_lo, pad_hi))} (left, right), dilation {dilation}"
        )
    return sizes


def _tap_indices(
    spatial: tuple[int, ...],
    out_sizes: tuple[int, ...],
    offset: tuple[int, ...],
    stride: tuple[int, ...],
    pad_lo: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Flat (output, input) spatial indices that kernel offset ``offset`` connects.

    Output position ``o`` reads input position ``o * stride - pad_lo + offset * dilation`` in
    every dimension; positions that fall in the padding are left out.
    """
    out_flat = np.zeros(1, dtype=np.int64)
    in_flat = np.zeros(1, dtype=np.int64)
    for n, m, k, s, lo, d in zip(spatial, out_sizes, offset, stride, pad_lo, dilation):
        out_pos = np.arange(m, dtype=np.int64)
        in_pos = out_pos * s - lo + k * d
        inside = (in_pos >= 0) & (in_pos < n)
        out_pos, in_pos = out_pos[inside], in_pos[inside]
        out_flat = (out_flat[:, None] * m + out_pos[None, :]).ravel()
        in_flat = (in_flat[:, None] * n + in_pos[None, :]).ravel()
    return out_flat, in_flat


def _padding(
    padding: Any, ndim: int, kernel: tuple[int, ...], stride: tuple[int, ...],
    dilation: tuple[int, ...], node: str,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(left, right) padding per spatial dimension for an int, sequence, 'same' or 'valid'."""
    if isinstance(padding, bytes):
        padding = padding.decode("utf8")
    if isinstance(padding, np.ndarray) and padding.dtype.kind in "US":
        padding = str(padding.item() if padding.dtype.kind == "U" else padding.item().decode("utf8"))
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * ndim, (0,) * ndim
        if padding == "same":
            if any(s != 1 for s in stride):
                raise SpikenetError(
                    f"NIR node {node!r}: padding 'same' requires stride 1 (as in PyTorch); "
                    f"got stride {stride}"
                )
            total = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
            lo = tuple(t // 2 for t in total)
            return lo, tuple(t - l for t, l in zip(total, lo))
        raise SpikenetError(
            f"NIR node {node!r}: padding must be 'same', 'valid' or integers; got {padding!r}"
        )
    pad = _per_dim(padding, ndim, node, "padding")
    _require_non_negative(pad, node, "padding")
    return pad, pad


def conv_matrix(
    weight: np.ndarray,
    input_shape: tuple[int, ...],
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    node: str,
) -> tuple[scipy.sparse.csr_matrix, tuple[int, ...]]:
    """Sparse matrix of a NIR ``Conv1d`` or ``Conv2d`` node (cross-correlation, no bias).

    Parameters
    ----------
    weight : np.ndarray
        ``(C_out, C_in/groups, K)`` (Conv1d) or ``(C_out, C_in/groups, KH, KW)`` (Conv2d).
    input_shape : tuple of int
        ``(C_in, N)`` or ``(C_in, H, W)``: the full input shape, channels first.
    stride, dilation : int or sequence of int
        One value for all spatial dimensions, or one per dimension; each >= 1.
    padding : int, sequence of int, 'same' or 'valid'
        Symmetric zero padding per spatial dimension (>= 0), or PyTorch's 'same' (stride 1
        only; any extra padding goes on the right) or 'valid' (no padding).
    groups : int
        Number of channel groups; ``C_in`` and ``C_out`` must be multiples of it.
    node : str
        NIR node name, quoted in every error message.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix
        float64, shape ``(prod(out_shape), prod(input_shape))``; ``matrix @ x.ravel()`` is the
        C-order flattened output. Padding taps and exactly-zero weights are left out.
    out_shape : tuple of int
        ``(C_out, *spatial_out)``.

    Raises
    ------
    SpikenetError
        For a malformed weight, channel counts that do not fit ``groups`` or the input, a
        stride or dilation < 1, negative padding, 'same' with stride > 1, or an output size < 1.
    """
    weight = np.asarray(weight)
    if weight.ndim not in (3, 4):
        raise SpikenetError(
            f"NIR node {node!r}: weight must have 3 (Conv1d: C_out, C_in/groups, K) or 4 "
            f"(Conv2d: C_out, C_in/groups, KH, KW) dimensions; got shape {weight.shape}"
        )
    if not np.issubdtype(weight.dtype, np.number) or weight.dtype == bool:
        raise SpikenetError(f"NIR node {node!r}: weight must be numeric; got dtype {weight.dtype}")
    weight = weight.astype(np.float64)
    if not np.all(np.isfinite(weight)):
        raise SpikenetError(f"NIR node {node!r}: weight must be finite; got NaN or infinity")
    ndim = weight.ndim - 2
    c_out, c_per_group = weight.shape[:2]
    kernel = tuple(int(k) for k in weight.shape[2:])
    if c_out < 1 or c_per_group < 1 or min(kernel) < 1:
        raise SpikenetError(f"NIR node {node!r}: weight must not have empty dimensions; got shape {weight.shape}")
    shape = _input_shape(input_shape, ndim, node, "(C_in, N)" if ndim == 1 else "(C_in, H, W)")
    c_in, spatial = shape[0], shape[1:]

    groups = _as_int(groups, node, "groups")
    _require_positive((groups,), node, "groups")
    if c_in % groups:
        raise SpikenetError(
            f"NIR node {node!r}: input channels C_in = {c_in} (input_shape[0]) must be a multiple "
            f"of groups = {groups}"
        )
    if c_in != c_per_group * groups:
        raise SpikenetError(
            f"NIR node {node!r}: input channels C_in = {c_in} (input_shape[0]) must equal "
            f"weight.shape[1] * groups = {c_per_group} * {groups} = {c_per_group * groups}"
        )
    if c_out % groups:
        raise SpikenetError(
            f"NIR node {node!r}: output channels C_out = {c_out} (weight.shape[0]) must be a "
            f"multiple of groups = {groups}"
        )

    stride_t = _per_dim(stride, ndim, node, "stride")
    _require_positive(stride_t, node, "stride")
    dilation_t = _per_dim(dilation, ndim, node, "dilation")
    _require_positive(dilation_t, node, "dilation")
    pad_lo, pad_hi = _padding(padding, ndim, kernel, stride_t, dilation_t, node)
    out_sizes = _output_sizes(spatial, kernel, stride_t, pad_lo, pad_hi, dilation_t, node)

    n_in_spatial = math.prod(spatial)
    n_out_spatial = math.prod(out_sizes)
    out_channel = np.arange(c_out, dtype=np.int64)[:, None]  # (C_out, 1)
    group = out_channel // (c_out // groups)
    in_channel = group * c_per_group + np.arange(c_per_group, dtype=np.int64)[None, :]  # (C_out, C_in/g)
    out_channel = np.broadcast_to(out_channel, in_channel.shape)

    rows, cols, vals = [], [], []
    for offset in itertools.product(*(range(k) for k in kernel)):
        tap = weight[(slice(None), slice(None), *offset)]  # (C_out, C_in/g)
        keep = tap != 0
        if not keep.any():
            continue
        out_flat, in_flat = _tap_indices(spatial, out_sizes, offset, stride_t, pad_lo, dilation_t)
        if out_flat.size == 0:
            continue
        co, ci, w = out_channel[keep], in_channel[keep], tap[keep]
        rows.append((co[:, None] * n_out_spatial + out_flat[None, :]).ravel())
        cols.append((ci[:, None] * n_in_spatial + in_flat[None, :]).ravel())
        vals.append(np.repeat(w, out_flat.size))
    return _assemble(rows, cols, vals, (c_out * n_out_spatial, c_in * n_in_spatial)), (c_out, *out_sizes)


def pool_matrix(
    kind: str,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    input_shape: tuple[int, int, int],
    node: str,
) -> tuple[scipy.sparse.csr_matrix, tuple[int, int, int]]:
    """Sparse matrix of a NIR ``SumPool2d`` (``kind="sum"``) or ``AvgPool2d`` (``kind="avg"``).

    Parameters
    ----------
    kind : {'sum', 'avg'}
        Window sum, or window sum divided by ``KH * KW`` (padding counted, PyTorch's
        ``count_include_pad=True``).
    kernel_size, stride : int or pair of int
        Window size and step, each >= 1.
    padding : int or pair of int
        Symmetric zero padding, >= 0 and at most half the kernel size (as PyTorch requires).
    input_shape : tuple of int
        ``(C, H, W)``.
    node : str
        NIR node name, quoted in every error message.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix
        float64, shape ``(prod(out_shape), prod(input_shape))``, channel-wise (block diagonal).
    out_shape : tuple of int
        ``(C, OH, OW)``.

    Raises
    ------
    SpikenetError
        For an unknown kind, a kernel size or stride < 1, padding < 0 or above half the
        kernel, a malformed input shape, or an output size < 1.
    """
    if kind not in ("sum", "avg"):
        raise SpikenetError(f"NIR node {node!r}: pooling kind must be 'sum' or 'avg'; got {kind!r}")
    shape = _input_shape(input_shape, 2, node, "(C, H, W)")
    channels, spatial = shape[0], shape[1:]
    kernel = _per_dim(kernel_size, 2, node, "kernel_size")
    _require_positive(kernel, node, "kernel_size")
    stride_t = _per_dim(stride, 2, node, "stride")
    _require_positive(stride_t, node, "stride")
    pad = _per_dim(padding, 2, node, "padding")
    _require_non_negative(pad, node, "padding")
    if any(2 * p > k for p, k in zip(pad, kernel)):
        raise SpikenetError(
            f"NIR node {node!r}: padding must be at most half of kernel_size (as in PyTorch); "
            f"got padding {pad}, kernel_size {kernel}"
        )
    dilation = (1, 1)
    out_sizes = _output_sizes(spatial, kernel, stride_t, pad, pad, dilation, node)
    value = 1.0 if kind == "sum" else 1.0 / math.prod(kernel)

    n_in_spatial = math.prod(spatial)
    n_out_spatial = math.prod(out_sizes)
    channel = np.arange(channels, dtype=np.int64)[:, None]
    rows, cols, vals = [], [], []
    for offset in itertools.product(*(range(k) for k in kernel)):
        out_flat, in_flat = _tap_indices(spatial, out_sizes, offset, stride_t, pad, dilation)
        if out_flat.size == 0:
            continue
        rows.append((channel * n_out_spatial + out_flat[None, :]).ravel())
        cols.append((channel * n_in_spatial + in_flat[None, :]).ravel())
        vals.append(np.full(rows[-1].size, value))
    return _assemble(rows, cols, vals, (channels * n_out_spatial, channels * n_in_spatial)), (channels, *out_sizes)


def _assemble(
    rows: list[np.ndarray], cols: list[np.ndarray], vals: list[np.ndarray], shape: tuple[int, int]
) -> scipy.sparse.csr_matrix:
    """CSR matrix from COO pieces (no (row, col) pair repeats: distinct taps read distinct inputs)."""
    if rows:
        row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    else:
        row = col = np.zeros(0, dtype=np.int64)
        val = np.zeros(0)
    matrix = scipy.sparse.coo_matrix((val.astype(np.float64), (row, col)), shape=shape).tocsr()
    matrix.sort_indices()
    return matrix


def dense_macs_conv(weight_shape: tuple[int, ...], out_shape: tuple[int, ...], groups: int) -> int:
    """Multiply-accumulates of one dense forward pass of a convolution (bias not counted).

    Parameters
    ----------
    weight_shape : tuple of int
        ``(C_out, C_in/groups, *kernel)``.
    out_shape : tuple of int
        ``(C_out, *spatial_out)``.
    groups : int
        Channel groups; ``weight_shape[1]`` already is ``C_in/groups``, so ``groups`` is only
        checked (it must divide ``C_out``).

    Returns
    -------
    int
        ``prod(out_shape) * (C_in/groups) * prod(kernel)``.
    """
    weight_shape = tuple(int(v) for v in weight_shape)
    out_shape = tuple(int(v) for v in out_shape)
    if len(weight_shape) < 3 or len(out_shape) != len(weight_shape) - 1:
        raise SpikenetError(
            f"dense_macs_conv: weight_shape (C_out, C_in/groups, *kernel) and out_shape "
            f"(C_out, *spatial) do not fit; got {weight_shape} and {out_shape}"
        )
    if out_shape[0] != weight_shape[0]:
        raise SpikenetError(
            f"dense_macs_conv: out_shape[0] = {out_shape[0]} must equal C_out = weight_shape[0] = "
            f"{weight_shape[0]}"
        )
    if groups < 1 or weight_shape[0] % groups:
        raise SpikenetError(
            f"dense_macs_conv: groups must be >= 1 and divide C_out = {weight_shape[0]}; got {groups}"
        )
    return math.prod(out_shape) * weight_shape[1] * math.prod(weight_shape[2:])


def dense_macs_pool(out_shape: tuple[int, ...], kernel: Any) -> int:
    """Multiply-accumulates (additions) of one dense forward pass of a pooling layer.

    Parameters
    ----------
    out_shape : tuple of int
        ``(C, *spatial_out)``.
    kernel : int or sequence of int
        Window size; an int applies to every spatial dimension.

    Returns
    -------
    int
        ``prod(out_shape) * prod(kernel)``.
    """
    out_shape = tuple(int(v) for v in out_shape)
    kernel_t = _per_dim(kernel, len(out_shape) - 1, "dense_macs_pool", "kernel")
    return math.prod(out_shape) * math.prod(kernel_t)
