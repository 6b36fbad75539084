"""Exercises for the book's chapters, with checkers that say what is wrong, not just ``False``.

In a notebook::

    from bahdanau import exercises
    answer = ((1, 2, 3), (4, 5, 6))  # your prediction
    exercises.check_encoder_shapes(answer)   # -> Correct: ... / Not yet: ...

Each ``check_*`` function takes one answer (a number, a tuple of shapes, a function, a module
or a class) and returns a :class:`Feedback`; it never raises, whatever the answer does.
:data:`EXERCISES` holds one record per exercise, by chapter: its label, title, points and
checkers (:mod:`bahdanau.exercises.catalogue`; the book's instructors' page shows it as a
table). The exercises' numbers are in :mod:`bahdanau.exercises.problems`, and the helpers a
learner needs (a buggy decoder, a scorer comparison, the shipped models) in
:mod:`bahdanau.exercises.lab`.

The package holds no reference solution: each checker works the right answer out from the
package's own code, and its messages say where to look, never what the answer is. The
solutions the book shows live outside the package, in ``book/grading/solutions.py``.
Every checker takes a keyword-only ``seed`` (default 0) for other random inputs.
"""

from __future__ import annotations

from . import problems
from .catalogue import CHAPTERS, CHECKERS, EXERCISES, Answer, Exercise
from .checks import *  # noqa: F403 (the check_* functions, listed in checks.__all__)
from .checks import __all__ as _CHECK_FUNCTIONS
from .feedback import Feedback
from .lab import (
    BuggyAttentionDecoder,
    ScoringResult,
    compare_scoring,
    decoder_with_attention,
    plot_reading,
    reading_translation,
    shipped_translator,
)

__all__ = [
    "Answer",
    "Exercise",
    "EXERCISES",
    "CHECKERS",
    "CHAPTERS",
    "Feedback",
    "BuggyAttentionDecoder",
    "ScoringResult",
    "compare_scoring",
    "decoder_with_attention",
    "plot_reading",
    "reading_translation",
    "shipped_translator",
    "problems",
    *_CHECK_FUNCTIONS,
]
