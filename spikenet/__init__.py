"""spikenet: event-driven spiking networks on JAX, with energy estimates from counted events.

Units everywhere: time ms, voltage mV, current pA, conductance nS, capacitance pF, rate Hz,
energy pJ/J as stated.
"""

from spikenet.connectivity import AllToAll, FixedInDegree, FixedOutDegree, FixedProbability, FromIndices, OneToOne, Synapses
from spikenet.counts import ActivityCounts
from spikenet.distributions import Normal, Uniform
from spikenet.engine import CompiledNetwork, Result
from spikenet.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor
from spikenet.network import CurrentInput, Network, PoissonInput, Population, Projection
from spikenet.neuron_protocol import NeuronModel, SynapticDrive
from spikenet.sources import PoissonSource, SpikeSource
from spikenet.synapses import ConductanceAlpha, ConductanceExp, CurrentAlpha, CurrentExp, Delta
from spikenet.validation import SimulationError, SpikenetError
from spikenet import nir  # noqa: E402  (NIR import/export: spikenet.nir.from_nir, to_nir, read, write, simulate)

__all__ = [
    "ActivityCounts", "AllToAll", "CompiledNetwork", "ConductanceAlpha", "ConductanceExp", "CurrentAlpha", "CurrentExp", "CurrentInput", "Delta",
    "FixedInDegree", "FixedOutDegree", "FixedProbability", "FromIndices", "Network", "NeuronModel", "Normal",
    "OneToOne", "PoissonInput", "PoissonSource", "Population", "PopulationRateMonitor", "Projection", "Result", "SimulationError",
    "SpikeMonitor", "SpikeSource", "SpikenetError", "StateMonitor", "SynapticDrive", "Synapses", "Uniform",
]
__version__ = "0.1.0"
