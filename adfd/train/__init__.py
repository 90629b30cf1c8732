"""Training (paper §3.4-3.5, §4.1): timm encoder + 2-way head, SAM over SGD, NRS.

``adfd.train.run.run`` trains one canonical run (its loop: ``adfd.train.loop.Trainer``);
``model`` and ``sam`` are importable without the synthesis stack (used by ``bench/``).
"""
