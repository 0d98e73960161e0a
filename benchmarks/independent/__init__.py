"""An independent Serang-like test-data generator with its own error model.

padan's matcher was tuned on ``padan synth``; this generator shares no code with it
(``src/padan/synth`` is not imported), so accuracy measured on its data is accuracy on
an error model nobody tuned on. See ``README.md`` here for the model and
``benchmarks/accuracy.py`` for the harness that scores padan on both.

    uv run --group bench python -m benchmarks.independent --out DIR --people N --seed S
"""

from benchmarks.independent.generate import ErrorModel, Summary, generate

__all__ = ["ErrorModel", "Summary", "generate"]
