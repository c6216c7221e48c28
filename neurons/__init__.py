"""Neuron models that follow :mod:`spikenet.neuron_protocol`."""

from neurons.lif import LIF

__all__ = ["LIF"]
