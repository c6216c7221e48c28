"""Neuron models that follow :mod:`spikenet.neuron_protocol`."""

from neurons.adex import NAUD_2008_PRESETS, AdEx, AdExPreset
from neurons.alif import ALIF
from neurons.hodgkin_huxley import HodgkinHuxley
from neurons.izhikevich import IZHIKEVICH_2003_PRESETS, Izhikevich
from neurons.lif import LIF
from neurons.linear_poisson import LinearPoisson
from neurons.nir_models import NIRI, NIRIF, NIRLI, NIRLIF, NIRCubaLI, NIRCubaLIF, NIRThreshold

__all__ = ["ALIF", "AdEx", "AdExPreset", "HodgkinHuxley", "IZHIKEVICH_2003_PRESETS", "Izhikevich", "LIF", "LinearPoisson", "NAUD_2008_PRESETS",
           "NIRCubaLI", "NIRCubaLIF", "NIRI", "NIRIF", "NIRLI", "NIRLIF", "NIRThreshold"]
