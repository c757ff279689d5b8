"""Helpers the test modules share: the chain in a temporary folder, crafted landing files,
parser fixtures, fault-injection and UI helpers."""
