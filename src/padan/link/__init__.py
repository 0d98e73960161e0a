"""The coordinator's side: verify → candidates → compare → model → decide → cluster →
seal, in-process or on Dask. Holds no owner code path: it never imports ``padan.owner``."""
