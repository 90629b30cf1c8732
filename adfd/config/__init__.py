"""The experiment matrix as data: load, validate, resolve rows, canonical run ids, plan."""

from adfd.config.load import deep_merge, load_config
from adfd.config.matrix import Matrix, build_matrix
from adfd.config.schema import ConfigError

__all__ = ["ConfigError", "Matrix", "build_matrix", "deep_merge", "load_config"]
