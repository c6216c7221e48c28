"""Digit data for the Diehl & Cook experiment: scikit-learn's bundled 8x8 digits (no download)
or MNIST from a local folder of IDX files.

Images are returned as float arrays with intensities in [0, 255] (MNIST's scale), so that the
MNIST-tuned input rates of Diehl & Cook (rate = intensity / 4 Hz) apply unchanged.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(ValueError):
    """A data file is missing, corrupt or truncated (the message names the file)."""


@dataclass(frozen=True)
class DigitData:
    """A train/test split.

    Attributes
    ----------
    train_images, test_images : numpy.ndarray
        (n, side * side) float64 intensities in [0, 255].
    train_labels, test_labels : numpy.ndarray
        (n,) int64 classes 0-9.
    side : int
        Image side in pixels.
    source : str
        Where the data came from.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    side: int
    source: str

    def subset(self, n_train: int | None, n_test: int | None) -> "DigitData":
        """The first ``n_train`` / ``n_test`` examples (``None``: all)."""
        return DigitData(self.train_images[:n_train], self.train_labels[:n_train], self.test_images[:n_test],
                         self.test_labels[:n_test], self.side, self.source)


def upsample(images: np.ndarray, side: int, new_side: int) -> np.ndarray:
    """Bilinear resampling of square images (n, side*side) to (n, new_side*new_side), as
    ``scipy.ndimage.zoom(order=1)`` with corner-aligned grids; intensities keep their range."""
    if new_side == side:
        return images.astype(np.float64)
    grid = np.linspace(0.0, side - 1.0, new_side)
    low = np.floor(grid).astype(int)
    high = np.minimum(low + 1, side - 1)
    frac = grid - low
    cube = images.reshape(-1, side, side).astype(np.float64)
    rows = cube[:, low, :] * (1 - frac)[None, :, None] + cube[:, high, :] * frac[None, :, None]
    out = rows[:, :, low] * (1 - frac)[None, None, :] + rows[:, :, high] * frac[None, None, :]
    return out.reshape(len(images), new_side * new_side)


def load_sklearn_digits(side: int = 28) -> DigitData:
    """scikit-learn's 8x8 digits (1797 images, intensities 0-16), scaled to 0-255 and upsampled
    to ``side`` x ``side``; split ``train_test_split(test_size=0.25, stratify=y, random_state=0)``
    (1347 train / 450 test), the protocol of REPRODUCTION_TARGETS section 6b."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.data * (255.0 / 16.0)
    x_train, x_test, y_train, y_test = train_test_split(images, digits.target, test_size=0.25,
                                                        stratify=digits.target, random_state=0)
    return DigitData(upsample(x_train, 8, side), y_train.astype(np.int64), upsample(x_test, 8, side),
                     y_test.astype(np.int64), side, f"sklearn load_digits 8x8 upsampled to {side}x{side}")


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (MNIST's format; ``.gz`` accepted) into a numpy array.

    Layout: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then one big-endian uint32 per
    dimension, then the data in C order.

    Raises
    ------
    DataError
        The file is missing, has a bad magic number or type, or holds fewer or more bytes than
        its header declares; the message names the file.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such IDX file") from None
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataError(f"{path}: cannot read ({error})") from None
    if len(raw) < 4:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, need at least 4)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (magic bytes {raw[:4].hex()}; expected 0000 + type + ndim)")
    ndim = raw[3]
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, need {header} for {ndim} dimensions)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual < expected:
        raise DataError(f"{path}: truncated IDX data ({actual} bytes after the header; shape {shape} needs {expected})")
    if actual > expected:
        raise DataError(f"{path}: corrupt IDX file ({actual - expected} bytes beyond the declared shape {shape})")
    return np.frombuffer(raw, dtype=dtype, count=int(np.prod(shape)), offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, stem: str) -> Path:
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / candidate).exists():
            return folder / candidate
    raise DataError(f"{folder / stem}: MNIST file not found (also tried .gz and '.idx' spellings)")


def load_mnist(folder: str | Path) -> DigitData:
    """MNIST from a folder holding the four original IDX files (optionally gzipped).

    Raises
    ------
    DataError
        A file is missing, corrupt, truncated, or images and labels disagree.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: MNIST folder not found")
    arrays = {}
    for key, stem in MNIST_FILES.items():
        path = _find(folder, stem)
        array = read_idx(path)
        if key.endswith("images") and (array.ndim != 3 or array.shape[1] != array.shape[2]):
            raise DataError(f"{path}: expected images of shape (n, side, side); got {array.shape}")
        if key.endswith("labels") and (array.ndim != 1 or (array.size and (array.min() < 0 or array.max() > 9))):
            raise DataError(f"{path}: expected a 1-D array of labels 0-9; got shape {array.shape}")
        arrays[key] = (path, array)
    for part in ("train", "test"):
        (image_path, images), (label_path, labels) = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if len(images) != len(labels):
            raise DataError(f"{image_path}: {len(images)} images but {label_path.name} has {len(labels)} labels")
    side = arrays["train_images"][1].shape[1]
    flat = {k: v[1].reshape(len(v[1]), -1).astype(np.float64) if k.endswith("images") else v[1].astype(np.int64)
            for k, v in arrays.items()}
    return DigitData(flat["train_images"], flat["train_labels"], flat["test_images"], flat["test_labels"], side,
                     f"MNIST IDX from {folder}")
