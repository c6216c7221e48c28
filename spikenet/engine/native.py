"""Native CPU kernels (XLA FFI custom calls): the delivery of static rows, the delay ring's slot
(in place) and the exchange of packed spike words between the CPU devices of one process.

On XLA:CPU every operation of a ``fori_loop`` body is a separate kernel call, so the per-spike
loop of :func:`spikenet.propagation.deliver_events` costs ~2-3 us per spike whatever the row
width (rank/select of the spike, a row gather, a scatter), and a vectorised scatter costs
7-25 ns per synapse. This kernel walks the set bits of the packed spike words and adds each
spiking neuron's row to the buffer in C++: the same additions in the same order (ascending
neuron, then the row's columns), so its results are identical to the loop's, bit for bit.

It is compiled once per machine with the system C++ compiler (``$CXX``, default ``g++``)
against the XLA FFI headers that ship with jaxlib, into ``$SPIKENET_CACHE_DIR`` (default
``~/.cache/spikenet``), and registered for the CPU platform only. Without a compiler, or with
``SPIKENET_NATIVE=0``, :func:`native_library` says why and the engine uses the JAX loop.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError

SOURCE = r"""
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include "xla/ffi/api/ffi.h"
namespace ffi = xla::ffi;

// buffer[target] += weight for every synapse of every spiking neuron's row, in ascending neuron
// order; targets outside [0, size) are padding: a row's synapses fill its first slots and padding
// follows them (build_rows), so the row ends at its first padding entry. With wrap > 0 (the delay
// ring) the index is target + shift, minus wrap when it falls in [wrap, 2 wrap).
// events[c] += out_degrees[c, row].
template <ffi::DataType F, ffi::DataType I>
static ffi::Error Deliver(ffi::Buffer<F> buffer, ffi::Buffer<ffi::U32> words, ffi::Buffer<I> targets,
                          ffi::Buffer<F> weights, ffi::Buffer<ffi::S32> out_degrees, ffi::Buffer<ffi::S32> shift,
                          int64_t wrap, ffi::ResultBuffer<F> out, ffi::ResultBuffer<ffi::S32> events) {
  using T = ffi::NativeType<F>;
  const int64_t size = static_cast<int64_t>(buffer.element_count());
  T* o = out->typed_data();
  if (o != buffer.typed_data()) std::memcpy(o, buffer.typed_data(), size * sizeof(T));
  if (targets.dimensions().size() != 2 || weights.dimensions().size() != 2)
    return ffi::Error::InvalidArgument("spikenet delivery: targets and weights must be 2-D");
  const int64_t rows = targets.dimensions()[0], width = targets.dimensions()[1], n_pre = rows - 1;
  if (weights.dimensions()[0] != rows || weights.dimensions()[1] != width || out_degrees.dimensions().size() != 2
      || out_degrees.dimensions()[1] != rows)
    return ffi::Error::InvalidArgument("spikenet delivery: weights/out_degrees do not match targets");
  const int64_t counters = out_degrees.dimensions()[0];
  const int64_t n_words = static_cast<int64_t>(words.element_count());
  const uint32_t* w = words.typed_data();
  const auto* t = targets.typed_data();
  const T* v = weights.typed_data();
  const int32_t* degrees = out_degrees.typed_data();
  uint32_t* counted = reinterpret_cast<uint32_t*>(events->typed_data());  // int32 wrap-around, as in JAX
  for (int64_t c = 0; c < counters; ++c) counted[c] = 0;
  const int64_t s = wrap > 0 ? static_cast<int64_t>(shift.typed_data()[0]) : 0;
  auto destination = [&](int64_t target) -> int64_t {  // the buffer index, or -1 for padding
    if (wrap > 0) {
      target += s;
      if (target >= wrap && target < 2 * wrap) target -= wrap;
    }
    return target >= 0 && target < size ? target : -1;
  };
  std::vector<int64_t> spiking;  // the spiking rows, ascending
  for (int64_t k = 0; k < n_words; ++k) {
    for (uint32_t bits = w[k]; bits; bits &= bits - 1) {
      const int64_t row = k * 32 + __builtin_ctz(bits);
      if (row < n_pre) spiking.push_back(row);  // padding bits never spike
    }
  }
  const size_t n = spiking.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + 2 < n) {  // the row after next: its tables and counters on their way to the cache
      const int64_t ahead = spiking[i + 2];
      __builtin_prefetch(t + ahead * width);
      __builtin_prefetch(v + ahead * width);
      for (int64_t c = 0; c < counters; ++c) __builtin_prefetch(degrees + c * rows + ahead);
    }
    if (i + 1 < n) {  // the next row's buffer entries (random addresses: the latency that dominates)
      const auto* next = t + spiking[i + 1] * width;
      for (int64_t j = 0; j < width; ++j) {
        const int64_t target = destination(static_cast<int64_t>(next[j]));
        if (target < 0) break;
        __builtin_prefetch(o + target, 1);
      }
    }
    const int64_t row = spiking[i];
    const auto* row_targets = t + row * width;
    const T* row_weights = v + row * width;
    for (int64_t j = 0; j < width; ++j) {
      const int64_t target = destination(static_cast<int64_t>(row_targets[j]));
      if (target < 0) break;  // the row's padding: a row's synapses fill its first slots
      o[target] += row_weights[j];
    }
    for (int64_t c = 0; c < counters; ++c) counted[c] += static_cast<uint32_t>(degrees[c * rows + row]);
  }
  return ffi::Error::Success();
}

// The delay ring's slot of this step (ring viewed as (slots, size)): taken = ring[slot], then
// ring[slot] = 0, in place. (XLA:CPU copied the whole ring every step to zero the slot with a
// dynamic-update-slice after the delivery's custom call.)
template <ffi::DataType F>
static ffi::Error TakeSlot(ffi::Buffer<F> ring, ffi::Buffer<ffi::S32> slot, ffi::ResultBuffer<F> out,
                           ffi::ResultBuffer<F> taken) {
  using T = ffi::NativeType<F>;
  const int64_t total = static_cast<int64_t>(ring.element_count());
  const int64_t size = static_cast<int64_t>(taken->element_count());
  T* o = out->typed_data();
  if (o != ring.typed_data()) std::memcpy(o, ring.typed_data(), total * sizeof(T));
  const int64_t s = static_cast<int64_t>(slot.typed_data()[0]);
  if (s < 0 || (s + 1) * size > total) return ffi::Error::InvalidArgument("spikenet take_slot: slot out of range");
  std::memcpy(taken->typed_data(), o + s * size, size * sizeof(T));
  std::memset(o + s * size, 0, size * sizeof(T));
  return ffi::Error::Success();
}
XLA_FFI_DEFINE_HANDLER_SYMBOL(SpikenetTakeSlotF32, TakeSlot<ffi::F32>,
    ffi::Ffi::Bind().Arg<ffi::Buffer<ffi::F32>>().Arg<ffi::Buffer<ffi::S32>>().Ret<ffi::Buffer<ffi::F32>>().Ret<ffi::Buffer<ffi::F32>>());
XLA_FFI_DEFINE_HANDLER_SYMBOL(SpikenetTakeSlotF64, TakeSlot<ffi::F64>,
    ffi::Ffi::Bind().Arg<ffi::Buffer<ffi::F64>>().Arg<ffi::Buffer<ffi::S32>>().Ret<ffi::Buffer<ffi::F64>>().Ret<ffi::Buffer<ffi::F64>>());

// all_gather of the packed spike words between the CPU devices of this process (each device runs
// its shard in its own thread): every shard copies its words into a shared buffer, publishes its
// generation and spins until every shard has published it (XLA's in-process rendezvous measured
// ~100 us per step on the project VM, this ~1 us). Two buffers alternate by generation: a shard
// reaches generation g + 2 only after every shard has finished reading generation g. Every call
// site has its own buffer (key); `order` chains a shard's calls so that XLA's thunk executor runs
// them in program order on every shard (independent calls could otherwise run in different orders
// on different shards and wait for each other forever).
struct Exchange {
  int64_t shards = 0, width = 0;
  std::vector<uint32_t> slots[2];
  std::unique_ptr<std::atomic<int64_t>[]> published;  // the last generation each shard has published
};
static std::mutex exchanges_mutex;
static std::map<int64_t, std::unique_ptr<Exchange>> exchanges;

static ffi::Error GatherWords(ffi::Buffer<ffi::U32> words, ffi::Buffer<ffi::S32> shard, ffi::Buffer<ffi::S32> order,
                              int64_t key, int64_t shards, double timeout_seconds, ffi::ResultBuffer<ffi::U32> out,
                              ffi::ResultBuffer<ffi::S32> next_order) {
  next_order->typed_data()[0] = order.typed_data()[0] + 1;
  const int64_t width = static_cast<int64_t>(words.element_count());
  const int64_t s = static_cast<int64_t>(shard.typed_data()[0]);
  if (shards < 1 || s < 0 || s >= shards || static_cast<int64_t>(out->element_count()) != shards * width)
    return ffi::Error::InvalidArgument("spikenet gather_words: shard index or output size out of range");
  Exchange* x;
  {
    std::lock_guard<std::mutex> lock(exchanges_mutex);
    auto& slot = exchanges[key];
    if (!slot) {
      slot = std::make_unique<Exchange>();
      slot->shards = shards;
      slot->width = width;
      slot->slots[0].assign(shards * width, 0);
      slot->slots[1].assign(shards * width, 0);
      slot->published.reset(new std::atomic<int64_t>[shards]);
      for (int64_t d = 0; d < shards; ++d) slot->published[d].store(0);
    }
    x = slot.get();
  }
  if (x->shards != shards || x->width != width)
    return ffi::Error::InvalidArgument("spikenet gather_words: one key used with two shapes");
  const int64_t g = x->published[s].load(std::memory_order_relaxed) + 1;  // (only this shard writes it)
  uint32_t* buffer = x->slots[g & 1].data();
  std::memcpy(buffer + s * width, words.typed_data(), width * sizeof(uint32_t));
  x->published[s].store(g, std::memory_order_release);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t d = 0; d < shards; ++d) {
    for (int64_t spins = 0; x->published[d].load(std::memory_order_acquire) < g; ++spins) {
      if (spins < 20000) continue;
      std::this_thread::yield();  // fewer cores than devices: let the other shards run
      if ((spins & 1023) == 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_seconds)
        return ffi::Error(ffi::ErrorCode::kDeadlineExceeded, "spikenet gather_words: a shard did not arrive in time");
    }
  }
  std::memcpy(out->typed_data(), buffer, shards * width * sizeof(uint32_t));
  return ffi::Error::Success();
}
XLA_FFI_DEFINE_HANDLER_SYMBOL(SpikenetGatherWords, GatherWords,
    ffi::Ffi::Bind().Arg<ffi::Buffer<ffi::U32>>().Arg<ffi::Buffer<ffi::S32>>().Arg<ffi::Buffer<ffi::S32>>()
        .Attr<int64_t>("key").Attr<int64_t>("shards").Attr<double>("timeout_seconds").Ret<ffi::Buffer<ffi::U32>>()
        .Ret<ffi::Buffer<ffi::S32>>());

#define SPIKENET_DELIVER(NAME, F, I)                                                              \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(NAME, (Deliver<F, I>),                                           \
      ffi::Ffi::Bind().Arg<ffi::Buffer<F>>().Arg<ffi::Buffer<ffi::U32>>().Arg<ffi::Buffer<I>>()  \
          .Arg<ffi::Buffer<F>>().Arg<ffi::Buffer<ffi::S32>>().Arg<ffi::Buffer<ffi::S32>>()       \
          .Attr<int64_t>("wrap").Ret<ffi::Buffer<F>>().Ret<ffi::Buffer<ffi::S32>>());
SPIKENET_DELIVER(SpikenetDeliverF32S32, ffi::F32, ffi::S32)
SPIKENET_DELIVER(SpikenetDeliverF64S32, ffi::F64, ffi::S32)
SPIKENET_DELIVER(SpikenetDeliverF32S64, ffi::F32, ffi::S64)
SPIKENET_DELIVER(SpikenetDeliverF64S64, ffi::F64, ffi::S64)
"""

#: (buffer and weights dtype, targets dtype) -> FFI target name
TARGETS = {(np.dtype(f), np.dtype(i)): f"spikenet_deliver_{f}_{i}"
           for f in ("float32", "float64") for i in ("int32", "int64")}
#: FFI target name -> the library's handler symbol
_SYMBOLS = {"spikenet_deliver_float32_int32": "SpikenetDeliverF32S32", "spikenet_deliver_float64_int32": "SpikenetDeliverF64S32",
            "spikenet_deliver_float32_int64": "SpikenetDeliverF32S64", "spikenet_deliver_float64_int64": "SpikenetDeliverF64S64",
            "spikenet_take_slot_float32": "SpikenetTakeSlotF32", "spikenet_take_slot_float64": "SpikenetTakeSlotF64",
            "spikenet_gather_words": "SpikenetGatherWords"}
_state: dict = {}


def _cache_dir() -> Path:
    configured = os.environ.get("SPIKENET_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spikenet"


def _build() -> Path:
    """The compiled library (built once per source, jaxlib and machine; written atomically)."""
    import jaxlib

    compiler = shutil.which(os.environ.get("CXX", "g++"))
    if compiler is None:
        raise RuntimeError(f"no C++ compiler found (CXX={os.environ.get('CXX', 'g++')!r})")
    include = jax.ffi.include_dir()
    flags = ["-O3", "-shared", "-fPIC", "-std=c++17", "-w", f"-I{include}"]
    key = hashlib.sha256("\0".join([SOURCE, jaxlib.__version__, platform.machine(), compiler, *flags]).encode()).hexdigest()[:16]
    directory = _cache_dir()
    library = directory / f"delivery_{key}.so"
    if library.exists():
        return library
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        source = Path(scratch) / "delivery.cc"
        source.write_text(SOURCE)
        built = Path(scratch) / "delivery.so"
        done = subprocess.run([compiler, *flags, str(source), "-o", str(built)], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{compiler} failed: {done.stderr.strip()[-2000:]}")
        os.replace(built, library)  # atomic: another process sees the whole library or none
    return library


def native_library() -> tuple[bool, str]:
    """Whether the native CPU delivery is available (built and registered), and why not if not.
    Built on the first call of the process; later calls answer from memory."""
    if "available" not in _state:
        if os.environ.get("SPIKENET_NATIVE", "1") == "0":
            _state.update(available=False, disabled=True, reason="disabled by SPIKENET_NATIVE=0")
        else:
            try:
                library = ctypes.cdll.LoadLibrary(str(_build()))
                for name, symbol in _SYMBOLS.items():
                    jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(library, symbol)), platform="cpu")
                _state.update(available=True, disabled=False, reason="")
            except (OSError, RuntimeError, subprocess.SubprocessError, AttributeError) as error:
                _state.update(available=False, disabled=False, reason=f"could not build the native CPU delivery: {error}")
    return _state["available"], _state["reason"]


def _require() -> None:
    available, reason = native_library()
    if not available:
        raise SpikenetError(f"the native CPU delivery is not available: {reason}")


def deliver_native(buffer, words, targets, weights, out_degrees, shift=None, wrap=None):
    """:func:`spikenet.propagation.deliver_events` as one custom call (identical results for rows
    whose padding follows their synapses, as :func:`spikenet.propagation.build_rows` makes them).
    Requires :func:`native_library` to be available and a (float, int) pair listed in ``TARGETS``."""
    _require()
    name = TARGETS[(np.dtype(buffer.dtype), np.dtype(targets.dtype))]
    call = jax.ffi.ffi_call(name, (jax.ShapeDtypeStruct(buffer.shape, buffer.dtype),
                                   jax.ShapeDtypeStruct((out_degrees.shape[0],), jnp.int32)),
                            vmap_method="sequential", input_output_aliases={0: 0})
    shift = jnp.zeros(1, jnp.int32) if shift is None else jnp.reshape(shift, (1,)).astype(jnp.int32)
    return call(buffer, words.astype(jnp.uint32), targets, weights.astype(buffer.dtype), out_degrees.astype(jnp.int32),
                shift, wrap=np.int64(0 if wrap is None else wrap))


def take_slot(ring, slot, size: int):
    """``(ring with row `slot` zeroed, that row)`` for the ring viewed as (slots, ``size``), in
    place: what ``ring[slot]`` then ``.at[slot].set(0)`` compute, without XLA's copy of the ring."""
    _require()
    call = jax.ffi.ffi_call(f"spikenet_take_slot_{np.dtype(ring.dtype).name}",
                            (jax.ShapeDtypeStruct(ring.shape, ring.dtype), jax.ShapeDtypeStruct((size,), ring.dtype)),
                            vmap_method="sequential", input_output_aliases={0: 0})
    return call(ring, jnp.reshape(slot, (1,)).astype(jnp.int32))


def native_disabled() -> bool:
    """Whether the native kernels were switched off (``SPIKENET_NATIVE=0``), not missing."""
    native_library()
    return _state["disabled"]

