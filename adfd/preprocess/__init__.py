"""Face preprocessing: a benchmark's videos turned into stored faces (docs/sbi-recipe.md §2).

Video decode and frame sampling (``video``), test-time distortions of Table 10 applied to the
raw frames before detection (``distortions``), face detectors including RetinaFace-R50
(``detect``, ``retinaface_r50``, ``retinaface_net``), landmarks and their HOG pairing
(``landmarks``), crop windows (``crop``) and stored face images (``images``); one shard
written per job (``write``, ``faces``, ``job``), read back (``shards``) and summarised
(``yields``).
"""
