"""The benchmarks: registry, one lister per official layout (and the generic kinds), the
integrity gate and the manifests that pin every later job's videos and labels."""
