"""``python -m padan``: the same command line as the ``padan`` script."""

from padan.cli import app

app(prog_name="padan")
