"""Embedded demo data: small versions of the benchmarks, built from real faces
(:func:`adfd.demo.benchmarks.build`)."""

from adfd.demo.benchmarks import SUMMARY_FILE, build

__all__ = ["SUMMARY_FILE", "build"]
