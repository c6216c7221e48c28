"""Local learning rules.

Event-driven rules for the spikenet engine (attach with ``Network.connect(..., plasticity=rule)``;
protocol in :mod:`spikenet.plasticity`): :class:`PairSTDP`, :class:`TripletSTDP`,
:class:`RewardModulatedSTDP`, :class:`SpikingBCM`, :class:`SpikingOja`, and the homeostatic
:class:`AdaptiveThreshold` (a neuron wrapper).
Rate-based and network-level rules as pure JAX functions:
:class:`Oja`, :class:`GeneralizedHebbian`, :class:`BCM`, :class:`AdaptiveThresholdLIF`,
:class:`IntrinsicPlasticity`, and e-prop (:mod:`learning_rules.eprop`; also on the engine:
:class:`EpropRule` on :class:`EpropNeuron`).
"""

from learning_rules import eprop
from learning_rules.bcm import BCM, SpikingBCM, bcm_patterns
from learning_rules.eprop import EpropNetwork, EpropNeuron, EpropRule, EpropWeights, autodiff_gradients, eprop_gradients
from learning_rules.homeostasis import AdaptiveThreshold, AdaptiveThresholdLIF, IntrinsicPlasticity
from learning_rules.oja import GeneralizedHebbian, Oja, PlainHebb, SpikingOja, pca_test_covariance
from learning_rules.reward import RewardModulatedSTDP
from learning_rules.stdp import PairSTDP, TripletSTDP

__all__ = [
    "AdaptiveThreshold", "AdaptiveThresholdLIF", "BCM", "EpropNetwork", "EpropNeuron", "EpropRule", "EpropWeights", "GeneralizedHebbian", "IntrinsicPlasticity", "Oja",
    "PairSTDP", "PlainHebb", "RewardModulatedSTDP", "SpikingBCM", "SpikingOja", "TripletSTDP", "autodiff_gradients", "bcm_patterns", "eprop",
    "eprop_gradients", "pca_test_covariance",
]
