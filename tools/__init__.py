"""Tooling around the product: the bench, the reliability report, the sample-data generator.

These import `orchestration`; the product never imports them.
"""
