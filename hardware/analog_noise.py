r"""What an analog crossbar does to the weights: quantised conductances, programming noise,
drift and read noise. The perturbed weights go back into a run to measure accuracy.

A signed weight :math:`w` with :math:`w_{max} = \max|w|` is stored on a differential pair:
:math:`g^+ = g_{max} \max(w, 0)/w_{max}`, :math:`g^- = g_{max} \max(-w, 0)/w_{max}`, and read back
as :math:`w = w_{max} (g^+ - g^-)/g_{max}`. Each target conductance is rounded to one of the
chip's ``conductance_levels`` levels in :math:`[0, g_{max}]`, then the device model applies:

PCM (aihwkit ``PCMLikeNoiseModel``, Nandakumar et al. ICECS 2019), :math:`x = g/g_{max}`, g in µS:

* programming: :math:`g \leftarrow \max(0, g + \sigma_p \xi)`,
  :math:`\sigma_p = (g_{max}/25)(0.26348 + 1.9650 x - 1.1731 x^2)`;
* drift: :math:`g(t) = g (t'/t_0)^{-\nu}`, :math:`t' = t + t_0`, :math:`t_0 = 20` s,
  :math:`\nu \sim N(\mu, \sigma)`, :math:`\mu = \mathrm{clip}(-0.0155 \ln x + 0.0244, 0.049, 0.1)`,
  :math:`\sigma = \mathrm{clip}(-0.0125 \ln x - 0.0059, 0.008, 0.045)`;
* read (1/f): :math:`g \leftarrow g + |g| Q_s \sqrt{\ln((t' + t_r)/(2 t_r))}\,\xi`,
  :math:`Q_s = \min(0.0088 / \max(x, 10^{-3})^{0.65}, 0.2)`, :math:`t_r = 250` ns;
* global drift compensation: one scalar restoring the total programmed conductance.

RRAM (aihwkit ``ReRamWan2022NoiseModel``, fit to Wan et al. 2022): programming noise
:math:`\sigma(x) = (g_{max}/40) \sum_i c_i x^i` µS with the 1 s coefficients
(0.348, 16.030, -43.853, 45.393, -16.815); at t = 1 day / 2 days the fitted polynomial of that
time replaces it (no drift model); ~1 % additive read noise on the weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hardware.chip import ChipModel
from hardware.coefficients import HardwareModelError
from spikenet.validation import SpikenetError

PCM_PROGRAMMING = (0.26348, 1.9650, -1.1731)  # µS at g_max = 25 µS (aihwkit pcm.py)
PCM_T0_S = 20.0
PCM_T_READ_S = 250e-9
RRAM_POLYNOMIALS = {  # µS at g_max = 40 µS, coefficients of x^0 .. x^4 (aihwkit reram.py)
    1.0: (0.348, 16.030, -43.853, 45.393, -16.815),
    86400.0: (0.701, 22.086, -50.773, 47.095, -16.458),
    172800.0: (0.782, 20.274, -43.507, 37.062, -11.934),
}
RRAM_READ_NOISE = 0.01  # of w_max, aihwkit note on ReRamWan2022NoiseModel


@dataclass
class PerturbedWeights:
    """Weights as the chip would apply them, with the error statistics.

    Attributes
    ----------
    weights : numpy.ndarray
        Perturbed weights, same shape and unit as the input.
    g_plus, g_minus : numpy.ndarray
        Final device conductances in µS.
    w_max : float
        Weight mapped to ``g_max``.
    stats : dict
        ``rms_error``, ``max_abs_error`` (weight unit), ``relative_rms_error``, ``mean_error``.
    settings : dict
        Which effects were on, and the inference time.
    """

    weights: np.ndarray
    g_plus: np.ndarray
    g_minus: np.ndarray
    w_max: float
    stats: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def pcm_programming_sigma(g: np.ndarray, g_max: float) -> np.ndarray:
    """Programming-noise standard deviation (µS) of a PCM device programmed to ``g`` µS."""
    x = np.asarray(g, dtype=float) / g_max
    a, b, c = PCM_PROGRAMMING
    return np.maximum((g_max / 25.0) * (a + b * x + c * x * x), 0.0)


def rram_sigma(g: np.ndarray, g_max: float, t_inference_s: float = 1.0) -> np.ndarray:
    """Deviation (µS) of an RRAM device at ``t_inference_s`` (1 s, 1 day or 2 days)."""
    if t_inference_s not in RRAM_POLYNOMIALS:
        raise HardwareModelError(f"the RRAM model is fitted at t = {sorted(RRAM_POLYNOMIALS)} s; got {t_inference_s}")
    x = np.asarray(g, dtype=float) / g_max
    sigma = sum(coefficient * x ** power for power, coefficient in enumerate(RRAM_POLYNOMIALS[t_inference_s]))
    return np.maximum(sigma * g_max / 40.0, 0.0)


def quantise_conductance(g: np.ndarray, g_max: float, levels: int) -> np.ndarray:
    """Round conductances to ``levels`` evenly spaced values in [0, g_max] (µS)."""
    if levels < 2:
        raise HardwareModelError(f"conductance_levels must be >= 2; got {levels}")
    step = g_max / (levels - 1)
    return np.clip(np.round(g / step) * step, 0.0, g_max)


def perturb_weights(weights: np.ndarray, chip: ChipModel, seed: int = 0, t_inference_s: float | None = None,
                    quantise: bool = True, programming_noise: bool = True, drift: bool = True,
                    read_noise: bool = True, drift_compensation: bool = True) -> PerturbedWeights:
    """Weights as stored and read by ``chip``'s devices.

    Parameters
    ----------
    weights : numpy.ndarray
        Weights in any unit (one per synapse, or a matrix).
    chip : ChipModel
        An analog chip (``analog.g_max``, ``analog.conductance_levels``, ``noise_model``).
    seed : int
        Seed of the noise draws.
    t_inference_s : float, optional
        Time since programming in s. Default: 3600 s for PCM, 1 s for RRAM.
    quantise, programming_noise, drift, read_noise, drift_compensation : bool
        Switch each effect; all off returns the weights unchanged (bit for bit).

    Returns
    -------
    PerturbedWeights
    """
    if chip.kind != "analog":
        raise HardwareModelError(f"perturb_weights needs an analog chip; {chip.name!r} is {chip.kind}")
    weights = np.asarray(weights, dtype=np.float64)
    model = chip.noise_model
    noisy = model != "none" and (programming_noise or drift or read_noise)
    settings = {"noise_model": model, "quantise": quantise, "programming_noise": programming_noise, "drift": drift,
                "read_noise": read_noise, "drift_compensation": drift_compensation}
    w_max = float(np.max(np.abs(weights))) if weights.size else 0.0
    g_max = chip.analog_value("g_max") if "g_max" in chip.analog else 1.0
    if w_max == 0.0 or (not quantise and not noisy):
        g_plus = np.maximum(weights, 0) / w_max * g_max if w_max else np.zeros_like(weights)
        g_minus = np.maximum(-weights, 0) / w_max * g_max if w_max else np.zeros_like(weights)
        return PerturbedWeights(weights.copy(), g_plus, g_minus, w_max, _stats(weights, weights), settings)
    if model == "none" and chip.limit("weight_bits"):
        # Bit-sliced digital-style cells (ISAAC: 8 x 2-bit cells per 16-bit weight): exact to weight_bits.
        from hardware.quantisation import quantise_weights

        stored = quantise_weights(weights, chip.limit("weight_bits"))[0]
        g_plus = np.maximum(stored, 0) / w_max * g_max
        g_minus = np.maximum(-stored, 0) / w_max * g_max
        return PerturbedWeights(stored, g_plus, g_minus, w_max, _stats(weights, stored), settings)
    rng = np.random.default_rng(seed)
    g_plus = np.maximum(weights, 0.0) / w_max * g_max
    g_minus = np.maximum(-weights, 0.0) / w_max * g_max
    if quantise:
        levels = int(chip.analog_value("conductance_levels"))
        g_plus, g_minus = quantise_conductance(g_plus, g_max, levels), quantise_conductance(g_minus, g_max, levels)
    if model == "pcm_nandakumar2019" and noisy:
        t = 3600.0 if t_inference_s is None else float(t_inference_s)
        settings["t_inference_s"] = t
        g_plus, g_minus = (_pcm(g, g_max, t, rng, programming_noise, drift, read_noise) for g in (g_plus, g_minus))
        if drift and drift_compensation:
            target = np.sum(np.maximum(weights, 0) + np.maximum(-weights, 0)) / w_max * g_max
            measured = np.sum(g_plus + g_minus)
            if measured > 0:
                g_plus, g_minus = g_plus * target / measured, g_minus * target / measured
    elif model == "rram_wan2022" and noisy:
        t = 1.0 if t_inference_s is None else float(t_inference_s)
        settings["t_inference_s"] = t
        if programming_noise:
            g_plus = np.maximum(g_plus + rram_sigma(g_plus, g_max, t) * rng.standard_normal(g_plus.shape), 0.0)
            g_minus = np.maximum(g_minus + rram_sigma(g_minus, g_max, t) * rng.standard_normal(g_minus.shape), 0.0)
    perturbed = w_max * (g_plus - g_minus) / g_max
    if model == "rram_wan2022" and read_noise and noisy:
        perturbed = perturbed + RRAM_READ_NOISE * w_max * rng.standard_normal(perturbed.shape)
    return PerturbedWeights(perturbed, g_plus, g_minus, w_max, _stats(weights, perturbed), settings)


def _pcm(g: np.ndarray, g_max: float, t: float, rng: np.random.Generator, programming: bool, drift: bool,
         read: bool) -> np.ndarray:
    target = g
    if programming:
        g = np.maximum(g + pcm_programming_sigma(g, g_max) * rng.standard_normal(g.shape), 0.0)
    t_total = t + PCM_T0_S
    if drift:
        x = np.maximum(np.abs(target) / g_max, 1e-7)
        mu = np.clip(-0.0155 * np.log(x) + 0.0244, 0.049, 0.1)
        sigma = np.clip(-0.0125 * np.log(x) - 0.0059, 0.008, 0.045)
        nu = np.maximum(mu + sigma * rng.standard_normal(g.shape), 0.0)
        g = g * (t_total / PCM_T0_S) ** (-nu)
    if read:
        q_s = np.minimum(0.0088 / np.maximum(np.abs(target) / g_max, 1e-3) ** 0.65, 0.2)
        sigma = q_s * np.sqrt(np.log((t_total + PCM_T_READ_S) / (2 * PCM_T_READ_S)))
        g = g + np.abs(g) * sigma * rng.standard_normal(g.shape)
    return g


def _stats(original: np.ndarray, perturbed: np.ndarray) -> dict[str, float]:
    if original.size == 0:
        return {"rms_error": 0.0, "max_abs_error": 0.0, "relative_rms_error": 0.0, "mean_error": 0.0}
    error = perturbed - original
    rms = float(np.sqrt(np.mean(error ** 2)))
    scale = float(np.sqrt(np.mean(original ** 2)))
    return {"rms_error": rms, "max_abs_error": float(np.max(np.abs(error))),
            "relative_rms_error": rms / scale if scale else 0.0, "mean_error": float(np.mean(error))}


def perturb_network_weights(network: Any, chip: ChipModel, seed: int = 0, **switches: Any) -> dict[str, PerturbedWeights]:
    """:func:`perturb_weights` for every projection (seeded per projection); the network is not modified."""
    return {p.name: perturb_weights(p.weights, chip, seed=seed + k, **switches) for k, p in enumerate(network.projections)}


def adc_quantise(values: np.ndarray, bits: int, full_scale: float) -> np.ndarray:
    """Column outputs as a signed ``bits``-bit ADC reports them, clipped to ``±full_scale``."""
    levels = 2 ** (bits - 1) - 1
    step = full_scale / levels
    return np.clip(np.round(np.asarray(values, float) / step), -levels, levels) * step


def with_weights(network: Any, weights: dict[str, Any]) -> Any:
    """A copy of ``network`` whose projections carry the given weights (by projection name):
    arrays, or :class:`PerturbedWeights` (their ``weights`` are used).

    The original network is untouched; populations and connectivity are shared
    (:meth:`spikenet.Network.with_weights`). Use it to re-run a network with chip-perturbed
    (:func:`perturb_network_weights`) or quantised weights and measure the accuracy the chip would give.
    """
    if not isinstance(weights, dict):
        raise HardwareModelError(f"weights must be a dict of projection name -> array; got {type(weights).__name__}")
    try:
        return network.with_weights({name: getattr(value, "weights", value) for name, value in weights.items()})
    except HardwareModelError:
        raise
    except SpikenetError as error:
        raise HardwareModelError(str(error)) from None
