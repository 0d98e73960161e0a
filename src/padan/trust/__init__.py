"""Identities, key files, the linkage secret and sealing: the only home of
``cryptography.hazmat`` in padan."""
