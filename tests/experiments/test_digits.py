"""Digit data: the sklearn split of REPRODUCTION_TARGETS 6b and the MNIST IDX loader.

IDX format: LeCun, Cortes & Burges, "The MNIST database" (yann.lecun.com/exdb/mnist): magic
0x00000803 for images (uint8, 3 dimensions), 0x00000801 for labels, big-endian uint32 sizes.
"""

import gzip
import struct

import numpy as np
import pytest

from experiments.digits import DataError, load_mnist, load_sklearn_digits, read_idx, upsample


def write_idx(path, array: np.ndarray, type_byte: int = 0x08) -> None:
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(">u1" if type_byte == 0x08 else ">i4").tobytes())


def fake_mnist(folder, n_train=5, n_test=3, side=4, gz=False):
    rng = np.random.default_rng(0)
    data = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, side, side)),
            "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
            "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, side, side)),
            "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test)}
    for name, array in data.items():
        write_idx(folder / name, array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress((folder / name).read_bytes()))
            (folder / name).unlink()
    return data


def test_sklearn_split_is_the_reference_protocol():
    """train_test_split(test_size=0.25, stratify=y, random_state=0): 1347 / 450 (REPRODUCTION_TARGETS 6b);
    intensities scaled 0-16 -> 0-255 and upsampled to 28 x 28."""
    data = load_sklearn_digits()
    assert data.train_images.shape == (1347, 784) and data.test_images.shape == (450, 784)
    assert 0.0 <= data.train_images.min() and data.train_images.max() == pytest.approx(255.0)
    assert np.bincount(data.test_labels).min() >= 43  # stratified: 43-46 per class (class sizes 174-183)


def test_upsample_keeps_corners_and_range():
    image = np.arange(4.0).reshape(1, 4)  # 2 x 2
    big = upsample(image, 2, 3).reshape(3, 3)
    np.testing.assert_allclose(big[[0, 0, -1, -1], [0, -1, 0, -1]], [0, 1, 2, 3])
    assert big[1, 1] == pytest.approx(1.5)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_roundtrip(tmp_path, gz):
    written = fake_mnist(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    np.testing.assert_array_equal(data.train_images, written["train-images-idx3-ubyte"].reshape(5, 16))
    np.testing.assert_array_equal(data.test_labels, written["t10k-labels-idx1-ubyte"])
    assert data.side == 4


def test_idx_int32_big_endian(tmp_path):
    path = tmp_path / "x.idx"
    write_idx(path, np.array([[1, -2], [300000, 4]]), type_byte=0x0C)
    np.testing.assert_array_equal(read_idx(path), [[1, -2], [300000, 4]])


@pytest.mark.parametrize("cut", [2, 7, 20, -1])
def test_truncated_idx_names_the_file(tmp_path, cut):
    fake_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.*truncated"):
        load_mnist(tmp_path)


def test_corrupt_magic_and_trailing_bytes_are_errors(tmp_path):
    fake_mnist(tmp_path)
    path = tmp_path / "t10k-labels-idx1-ubyte"
    raw = path.read_bytes()
    path.write_bytes(b"\x01" + raw[1:])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.*not an IDX file"):
        load_mnist(tmp_path)
    path.write_bytes(raw + b"\x00\x00")
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.*corrupt"):
        load_mnist(tmp_path)


def test_missing_file_and_label_mismatch(tmp_path):
    fake_mnist(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path)
    fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, int))
    with pytest.raises(DataError, match="5 images but train-labels-idx1-ubyte has 4 labels"):
        load_mnist(tmp_path)
    bad_gz = tmp_path / "x.gz"
    bad_gz.write_bytes(b"not gzip")
    with pytest.raises(DataError, match="x.gz"):
        read_idx(bad_gz)
