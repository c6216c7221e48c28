"""spikenet.nir_layers: NIR Conv1d / Conv2d / SumPool2d / AvgPool2d as sparse matrices.

Reference: direct loop implementations written here (they share no code with the module):
cross-correlation as ``torch.nn.functional.conv1d`` / ``conv2d`` define it, with explicit
Python loops over output channels, output positions and kernel taps on an input zero-padded
with ``np.pad``; pooling as explicit loops over channels, output positions and window taps.
Plus a tiny example with outputs written out by hand, and the error messages.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from spikenet.nir_layers import conv_matrix, dense_macs_conv, dense_macs_pool, pool_matrix
from spikenet.validation import SpikenetError


def _pairs(value, ndim):
    return (value,) * ndim if isinstance(value, int) else tuple(value)


def _same_padding(kernel, dilation):
    """PyTorch's 'same': total d*(K-1) per dimension, the smaller half on the left."""
    return [((d * (k - 1)) // 2, d * (k - 1) - (d * (k - 1)) // 2) for k, d in zip(kernel, dilation)]


def ref_conv1d(x, w, stride, padding, dilation, groups):
    """Loop reference: y[co, o] = sum_{c, k} w[co, c, k] * xpad[g*cpg + c, o*s + k*d]."""
    c_in, n = x.shape
    c_out, cpg, k_size = w.shape
    (s,), (d,) = _pairs(stride, 1), _pairs(dilation, 1)
    if padding == "valid":
        pads = [(0, 0)]
    elif padding == "same":
        pads = _same_padding((k_size,), (d,))
    else:
        p = _pairs(padding, 1)[0]
        pads = [(p, p)]
    xp = np.pad(x, [(0, 0)] + pads)
    out_n = (xp.shape[1] - d * (k_size - 1) - 1) // s + 1
    y = np.zeros((c_out, out_n))
    per_group_out = c_out // groups
    for co in range(c_out):
        g = co // per_group_out
        for o in range(out_n):
            acc = 0.0
            for c in range(cpg):
                for k in range(k_size):
                    acc += w[co, c, k] * xp[g * cpg + c, o * s + k * d]
            y[co, o] = acc
    return y


def ref_conv2d(x, w, stride, padding, dilation, groups):
    """Loop reference: y[co, i, j] = sum_{c, a, b} w[co, c, a, b] * xpad[g*cpg + c, i*sh + a*dh, j*sw + b*dw]."""
    c_in, h, wd = x.shape
    c_out, cpg, kh, kw = w.shape
    sh, sw = _pairs(stride, 2)
    dh, dw = _pairs(dilation, 2)
    if padding == "valid":
        pads = [(0, 0), (0, 0)]
    elif padding == "same":
        pads = _same_padding((kh, kw), (dh, dw))
    else:
        ph, pw = _pairs(padding, 2)
        pads = [(ph, ph), (pw, pw)]
    xp = np.pad(x, [(0, 0)] + pads)
    oh = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((c_out, oh, ow))
    per_group_out = c_out // groups
    for co in range(c_out):
        g = co // per_group_out
        for i in range(oh):
            for j in range(ow):
                acc = 0.0
                for c in range(cpg):
                    for a in range(kh):
                        for b in range(kw):
                            acc += w[co, c, a, b] * xp[g * cpg + c, i * sh + a * dh, j * sw + b * dw]
                y[co, i, j] = acc
    return y


def ref_pool2d(x, kind, kernel, stride, padding):
    """Loop reference: window sum over the zero-padded input; 'avg' divides by KH*KW (padding counted)."""
    kh, kw = _pairs(kernel, 2)
    sh, sw = _pairs(stride, 2)
    ph, pw = _pairs(padding, 2)
    xp = np.pad(x, [(0, 0), (ph, ph), (pw, pw)])
    oh = (xp.shape[1] - kh) // sh + 1
    ow = (xp.shape[2] - kw) // sw + 1
    y = np.zeros((x.shape[0], oh, ow))
    for c in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                acc = 0.0
                for a in range(kh):
                    for b in range(kw):
                        acc += xp[c, i * sh + a, j * sw + b]
                y[c, i, j] = acc / (kh * kw) if kind == "avg" else acc
    return y


def _check(matrix, out_shape, x, expected):
    assert isinstance(matrix, scipy.sparse.csr_matrix)
    assert matrix.dtype == np.float64
    assert tuple(out_shape) == expected.shape
    assert matrix.shape == (expected.size, x.size)
    np.testing.assert_allclose(matrix @ x.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)


def _random_conv_cases(ndim, count, seed):
    """Small random cases covering strides 1-2, int/tuple/'same'/'valid' padding, dilation 1-2,
    groups 1, 2 and depthwise, and non-square kernels."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        groups_kind = rng.choice(["1", "2", "depthwise"])
        if groups_kind == "1":
            groups, c_in, c_out = 1, int(rng.integers(1, 4)), int(rng.integers(1, 4))
        elif groups_kind == "2":
            groups, c_in, c_out = 2, 2 * int(rng.integers(1, 3)), 2 * int(rng.integers(1, 3))
        else:
            c_in = int(rng.integers(2, 4))
            groups, c_out = c_in, c_in * int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 4, size=ndim))
        spatial = tuple(int(n) for n in rng.integers(3, 8, size=ndim))
        dilation = tuple(int(d) for d in rng.integers(1, 3, size=ndim))
        pad_kind = rng.choice(["int", "tuple", "same", "valid"])
        if pad_kind == "same":
            stride = (1,) * ndim
            padding = "same"
        else:
            stride = tuple(int(s) for s in rng.integers(1, 3, size=ndim))
            padding = {"int": int(rng.integers(0, 3)), "tuple": tuple(int(p) for p in rng.integers(0, 3, size=ndim)),
                       "valid": "valid"}[pad_kind]
        # Mix int and tuple forms for stride and dilation.
        if rng.random() < 0.5 and len(set(stride)) == 1:
            stride = stride[0]
        if rng.random() < 0.5 and len(set(dilation)) == 1:
            dilation = dilation[0]
        pads = [0] * ndim if padding in ("valid", "same") else list(_pairs(padding, ndim))
        d_t, s_t = _pairs(dilation, ndim), _pairs(stride, ndim)
        if padding != "same" and any(
            (n + 2 * p - d * (k - 1) - 1) // s + 1 < 1 for n, p, d, k, s in zip(spatial, pads, d_t, kernel, s_t)
        ):
            continue
        weight = rng.normal(size=(c_out, c_in // groups, *kernel))
        weight[rng.random(weight.shape) < 0.15] = 0.0  # exact zeros may be dropped
        x = rng.normal(size=(c_in, *spatial))
        cases.append((x, weight, stride, padding, dilation, groups))
    return cases


@pytest.mark.parametrize("case", _random_conv_cases(1, 40, seed=1))
def test_conv1d_matches_loop_reference(case):
    """Conv1d matrix times the flattened input equals the loop cross-correlation (ref_conv1d)."""
    x, weight, stride, padding, dilation, groups = case
    matrix, out_shape = conv_matrix(weight, x.shape, stride, padding, dilation, groups, node="c1")
    _check(matrix, out_shape, x, ref_conv1d(x, weight, stride, padding, dilation, groups))


@pytest.mark.parametrize("case", _random_conv_cases(2, 40, seed=2))
def test_conv2d_matches_loop_reference(case):
    """Conv2d matrix times the flattened input equals the loop cross-correlation (ref_conv2d)."""
    x, weight, stride, padding, dilation, groups = case
    matrix, out_shape = conv_matrix(weight, x.shape, stride, padding, dilation, groups, node="c2")
    _check(matrix, out_shape, x, ref_conv2d(x, weight, stride, padding, dilation, groups))


def test_conv_named_corner_cases():
    """Fixed cases the random draw might miss, each against the loop reference (ref_conv1d / ref_conv2d):
    even kernel with 'same' (extra padding on the right), depthwise with dilation and stride,
    non-square kernel with per-dimension stride, padding and dilation, numpy-array parameters."""
    rng = np.random.default_rng(7)
    cases = [
        # (x shape, weight shape, stride, padding, dilation, groups)
        ((2, 6, 7), (3, 2, 2, 4), 1, "same", (2, 1), 1),
        ((3, 8, 5), (3, 1, 3, 2), (2, 1), (1, 0), (2, 1), 3),
        ((4, 7, 9), (6, 2, 1, 3), (1, 2), (0, 2), (1, 2), 2),
        ((2, 5, 6), (2, 2, 3, 3), np.array([2, 2]), np.array([1, 1]), np.array([1, 1]), 1),
    ]
    for x_shape, w_shape, stride, padding, dilation, groups in cases:
        x, weight = rng.normal(size=x_shape), rng.normal(size=w_shape)
        matrix, out_shape = conv_matrix(weight, x_shape, stride, padding, dilation, groups, node="c")
        _check(matrix, out_shape, x, ref_conv2d(x, weight, tuple(np.broadcast_to(stride, 2)),
                                                padding if isinstance(padding, str) else tuple(np.broadcast_to(padding, 2)),
                                                tuple(np.broadcast_to(dilation, 2)), groups))
    x, weight = rng.normal(size=(2, 9)), rng.normal(size=(4, 1, 4))
    matrix, out_shape = conv_matrix(weight, x.shape, np.array([1]), "same", np.array(3), 2, node="c")
    assert out_shape == (4, 9)
    _check(matrix, out_shape, x, ref_conv1d(x, weight, 1, "same", 3, 2))


def test_conv_hand_computed_example():
    """1x3x3 input 1..9, 2x2 kernel of ones, stride 1, no padding: each output is the sum of a
    2x2 block, written out by hand: [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]] = [[12, 16], [24, 28]]."""
    x = np.arange(1.0, 10.0).reshape(1, 3, 3)
    matrix, out_shape = conv_matrix(np.ones((1, 1, 2, 2)), (1, 3, 3), 1, 0, 1, 1, node="tiny")
    assert out_shape == (1, 2, 2)
    np.testing.assert_array_equal(matrix @ x.ravel(), [12.0, 16.0, 24.0, 28.0])
    # Row 0 reads inputs 0, 1, 3, 4 (flat indices of x[0, 0:2, 0:2]).
    np.testing.assert_array_equal(matrix[0].indices, [0, 1, 3, 4])
    # With padding 1 the corner output (0, 0) sees only x[0, 0] = 1 and the tap count drops.
    matrix, out_shape = conv_matrix(np.ones((1, 1, 2, 2)), (1, 3, 3), 1, 1, 1, 1, node="tiny")
    assert out_shape == (1, 4, 4)
    y = (matrix @ x.ravel()).reshape(4, 4)
    assert y[0, 0] == 1.0 and y[3, 3] == 9.0 and y[1, 1] == 12.0
    assert matrix.nnz == 2 * 2 * 3 * 3  # every input in each of the 4 taps, no padding taps


def test_conv_drops_zero_weights_and_padding_taps():
    """nnz counts only nonzero weights times in-bounds positions (counted here by loops)."""
    weight = np.array([[[1.0, 0.0, 2.0]]])
    matrix, out_shape = conv_matrix(weight, (1, 5), 1, 1, 1, 1, node="z")
    assert out_shape == (1, 5)
    # Tap 0 reads x[o - 1] (valid for o = 1..4), tap 2 reads x[o + 1] (valid for o = 0..3).
    assert matrix.nnz == 4 + 4
    assert np.all(matrix.data != 0)


@pytest.mark.parametrize("kind", ["sum", "avg"])
def test_pool_matches_loop_reference(kind):
    """Sum / Avg pool matrices equal the loop window reference (ref_pool2d), padding included."""
    rng = np.random.default_rng(3)
    cases = [
        ((2, 6, 6), 2, 2, 0),
        ((3, 7, 5), (3, 2), (2, 1), (1, 1)),
        ((1, 5, 8), (2, 3), 1, (1, 0)),
        ((2, 4, 4), 3, (1, 2), 1),
        ((2, 9, 7), (4, 2), (3, 2), (2, 1)),
    ]
    for shape, kernel, stride, padding in cases:
        x = rng.normal(size=shape)
        matrix, out_shape = pool_matrix(kind, kernel, stride, padding, shape, node="p")
        _check(matrix, out_shape, x, ref_pool2d(x, kind, kernel, stride, padding))


def test_pool_hand_computed_example():
    """1x3x3 input 1..9, 2x2 window, stride 1: sums [[12, 16], [24, 28]] (by hand), averages a quarter."""
    x = np.arange(1.0, 10.0)
    matrix, out_shape = pool_matrix("sum", 2, 1, 0, (1, 3, 3), node="pool")
    assert out_shape == (1, 2, 2)
    np.testing.assert_array_equal(matrix @ x, [12.0, 16.0, 24.0, 28.0])
    matrix, _ = pool_matrix("avg", np.array([2, 2]), np.array([1, 1]), np.array([0, 0]), (1, 3, 3), node="pool")
    np.testing.assert_array_equal(matrix @ x, [3.0, 4.0, 6.0, 7.0])
    # Padding 1, stride 2: corner window holds only x[0, 0] = 1 and is divided by 4 (padding counted).
    matrix, out_shape = pool_matrix("avg", 2, 2, 1, (1, 3, 3), node="pool")
    assert out_shape == (1, 2, 2)
    np.testing.assert_array_equal(matrix @ x, [1 / 4, (2 + 3) / 4, (4 + 7) / 4, (5 + 6 + 8 + 9) / 4])


def test_output_shape_agrees_with_nir():
    """Output spatial sizes agree with nir.ir.utils.calculate_conv_output (when nir is installed).

    nir 1.0.8's Conv2d.__post_init__ passes only weight.shape[2] as the kernel size, so its own
    output_type is wrong for non-square kernels: the node's output_type is compared for a square
    kernel only, and calculate_conv_output (given the full kernel) for a non-square one."""
    nir = pytest.importorskip("nir")
    from nir.ir.utils import calculate_conv_output

    rng = np.random.default_rng(4)
    weight = rng.normal(size=(4, 1, 3, 2))
    _, out_shape = conv_matrix(weight, (2, 7, 6), (2, 1), (1, 2), (1, 2), 2, node="nir2")
    assert out_shape[1:] == tuple(calculate_conv_output((7, 6), (1, 2), (1, 2), (3, 2), (2, 1)))
    node = nir.Conv2d(input_shape=(7, 6), weight=rng.normal(size=(4, 1, 3, 3)), stride=(2, 1),
                      padding=(1, 2), dilation=(1, 2), groups=2, bias=np.zeros(4))
    _, out_shape = conv_matrix(node.weight, (2, *node.input_shape), node.stride, node.padding,
                               node.dilation, node.groups, node="nir2")
    assert out_shape == tuple(node.output_type["output"])
    node = nir.Conv1d(input_shape=9, weight=rng.normal(size=(3, 2, 4)), stride=1, padding="same",
                      dilation=2, groups=1, bias=np.zeros(3))
    _, out_shape = conv_matrix(node.weight, (2, node.input_shape), node.stride, node.padding,
                               node.dilation, node.groups, node="nir1")
    assert out_shape == tuple(node.output_type["output"])


def test_dense_macs():
    """Dense MAC counts: prod(out_shape) * C_in/groups * prod(kernel), and prod(out_shape) * prod(kernel)."""
    assert dense_macs_conv((8, 2, 3, 3), (8, 5, 5), groups=2) == 8 * 5 * 5 * 2 * 9
    assert dense_macs_conv((4, 3, 5), (4, 10), groups=1) == 4 * 10 * 3 * 5
    assert dense_macs_pool((3, 4, 4), 2) == 3 * 16 * 4
    assert dense_macs_pool((3, 4, 4), (2, 3)) == 3 * 16 * 6
    with pytest.raises(SpikenetError, match="groups"):
        dense_macs_conv((6, 2, 3, 3), (6, 5, 5), groups=4)


W2 = np.ones((4, 2, 3, 3))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(weight=np.ones((4, 2, 3, 3, 1))), "weight"),
        (dict(weight=np.ones((4, 2))), "weight"),
        (dict(weight=np.full((4, 2, 3, 3), np.nan)), "weight"),
        (dict(input_shape=(3, 8, 8), groups=2), "groups"),  # C_in = 3 not a multiple of groups
        (dict(input_shape=(6, 8, 8)), "C_in"),  # weight expects 2 input channels
        (dict(weight=np.ones((3, 1, 3, 3)), input_shape=(2, 8, 8), groups=2), "C_out"),
        (dict(input_shape=(2, 8)), "input_shape"),
        (dict(stride=0), "stride"),
        (dict(stride=(1, -1)), "stride"),
        (dict(dilation=0), "dilation"),
        (dict(padding=-1), "padding"),
        (dict(padding=(0, -2)), "padding"),
        (dict(padding="full"), "padding"),
        (dict(padding="same", stride=2), "stride"),
        (dict(stride=1.5), "stride"),
        (dict(input_shape=(2, 2, 8)), "output size"),
        (dict(input_shape=(2, 8, 8), dilation=4), "output size"),
    ],
)
def test_conv_errors_name_node_and_field(kwargs, field):
    """Each invalid field raises SpikenetError whose message names the node and the field."""
    args = dict(weight=W2, input_shape=(2, 8, 8), stride=1, padding=0, dilation=1, groups=1)
    args.update(kwargs)
    with pytest.raises(SpikenetError, match="conv_7") as info:
        conv_matrix(**args, node="conv_7")
    assert field in str(info.value)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(kind="max"), "kind"),
        (dict(kernel_size=0), "kernel_size"),
        (dict(stride=(1, 0)), "stride"),
        (dict(padding=-1), "padding"),
        (dict(padding=2, kernel_size=3), "padding"),  # more than half the kernel (PyTorch refuses)
        (dict(input_shape=(8, 8)), "input_shape"),
        (dict(kernel_size=(9, 2)), "output size"),
    ],
)
def test_pool_errors_name_node_and_field(kwargs, field):
    """Each invalid field raises SpikenetError whose message names the node and the field."""
    args = dict(kind="sum", kernel_size=2, stride=2, padding=0, input_shape=(2, 8, 8))
    args.update(kwargs)
    with pytest.raises(SpikenetError, match="pool_3") as info:
        pool_matrix(**args, node="pool_3")
    assert field in str(info.value)
