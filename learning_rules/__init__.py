"""Local plasticity rules that run event-driven on the spikenet engine (see spikenet.plasticity)."""

from learning_rules.reward import RewardModulatedSTDP
from learning_rules.stdp import PairSTDP, TripletSTDP

__all__ = ["PairSTDP", "RewardModulatedSTDP", "TripletSTDP"]
