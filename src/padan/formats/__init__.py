"""File formats that cross between parties or stages: packages, sealed results,
encoded-record tables, keymap and rejects files. Each format is written and read in
one module."""
