"""A study, not a product path: a record-level all-pairs Dice kernel beside anonlink's.

``padan link`` compares candidate pairs field by field (:mod:`padan.link.comparison`)
and never runs this kernel; it is kept to measure what an all-pairs record-level kernel
gains over anonlink's (``benchmarks/dice.py``), with its numpy reference beside it.
"""
