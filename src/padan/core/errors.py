"""Errors that reach the user as one clear line, each with its exit code.

Exit codes (documented in the README):
    0  success
    1  input problem: a file that cannot be read, a missing column, bad options;
       or an output that cannot be written (read-only folder, disk full)
    2  usage error (unknown option, missing argument; raised by Typer/Click)
    3  verification failure: bad signature, tampered file, untrusted signer,
       wrong passphrase, mismatched secret or schema
    70  internal error (a bug): one line, the traceback with --debug
    130 interrupted (Ctrl-C)

Messages never contain a raw NIK or KK: mask values with ``padan.core.masking``.
"""

from __future__ import annotations


class PadanError(Exception):
    """An error the user can act on; printed as one line without a traceback."""

    exit_code = 1


class InputError(PadanError):
    """An input file cannot be read or does not fit the expected profile."""


class OutputError(PadanError):
    """An output file or folder cannot be written (read-only, missing, full disk)."""


class VerificationError(PadanError):
    """A signature, hash, passphrase, secret or schema check failed."""

    exit_code = 3
