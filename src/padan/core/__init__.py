"""Shared ground of every stage: errors, masking, atomic files, the types that cross
stages and the typed linkage schema. Imports nothing else of padan."""
