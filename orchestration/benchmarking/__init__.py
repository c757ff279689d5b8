"""Helpers of `python -m orchestration.bench`: the data set, child-process measurement,
the worker entry points each measured side runs in, and the report."""
