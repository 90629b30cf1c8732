"""Training (paper §3.4-3.5, §4.1): timm encoder + 2-way head, SAM over SGD, NRS.

``adfd.train.loop.run`` trains one canonical run; ``model`` and ``sam`` are importable
without the synthesis stack (used by ``bench/``).
"""
