"""The benchmark, `python -m tools.bench` (make bench): the harness, the data set,
child-process measurement, the worker entry points each measured side runs in, and the report."""
