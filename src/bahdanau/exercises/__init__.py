"""Exercises for the book's chapters, with checkers that say what is wrong, not just ``False``.

In a notebook::

    from bahdanau import exercises
    answer = ((1, 2, 3), (4, 5, 6))  # your prediction
    exercises.check_encoder_shapes(answer)   # -> Correct: ... / Not yet: ...

Each ``check_*`` function takes one answer (a number, a tuple of shapes, a function, a module
or a class) and returns a :class:`Feedback`; it never raises, whatever the answer does.
:data:`EXERCISES` lists the exercises by chapter (the book's instructors' page shows it as a
table); the exercises' numbers are in :mod:`bahdanau.exercises.problems`, and the helpers a
learner needs (a buggy decoder, a scorer comparison) in :mod:`bahdanau.exercises.lab`.

The package holds no reference solution: each checker works the right answer out from the
package's own code, and its messages say where to look, never what the answer is. The
solutions the book shows live outside the package, in ``book/grading/solutions.py``.
Every checker takes a keyword-only ``seed`` (default 0) for other random inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import problems
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
)

__all__ = [
    "Exercise",
    "EXERCISES",
    "CHECKERS",
    "Feedback",
    "BuggyAttentionDecoder",
    "ScoringResult",
    "compare_scoring",
    "decoder_with_attention",
    "plot_reading",
    "reading_translation",
    "problems",
    *_CHECK_FUNCTIONS,
]


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it is, what it is for, and which checkers it calls."""

    chapter: str  # the notebook, e.g. "01_why_attention"
    label: str  # the sphinx-exercise label in that notebook
    title: str
    checkers: tuple[str, ...]


EXERCISES: tuple[Exercise, ...] = (
    Exercise("01_why_attention", "ex-encoder-shapes", "Predict the encoder's shapes", ("check_encoder_shapes",)),
    Exercise("01_why_attention", "ex-parameter-count", "Count the encoder's parameters", ("check_parameter_count",)),
    Exercise("02_additive_attention", "ex-weight-by-hand", "One attention weight by hand",
             ("check_attention_weight",)),
    Exercise("02_additive_attention", "ex-additive-weights", "Additive weights from plain tensors",
             ("check_additive_weights",)),
    Exercise("02_additive_attention", "ex-dot-product", "Dot-product (Luong) scoring against additive",
             ("check_dot_product_attention",)),
    Exercise("03_decoder_loop", "ex-decoder-shapes", "Predict the decoder's shapes", ("check_decoder_shapes",)),
    Exercise("03_decoder_loop", "ex-padding-bug", "Find the bug: a decoder that forgets the mask",
             ("check_fixed_decoder",)),
    Exercise("03_decoder_loop", "ex-lstm-decoder", "An LSTM in place of the GRU", ("check_lstm_decoder",)),
    Exercise("04_training_and_evaluation", "ex-bleu-by-hand", "BLEU by hand", ("check_bleu_by_hand",)),
    Exercise("04_training_and_evaluation", "ex-length-normalisation", "Length normalisation in beam search",
             ("check_length_normalised_score", "check_beam_winner")),
    Exercise("04_training_and_evaluation", "ex-attention-entropy", "An attention diagnostic: entropy",
             ("check_attention_entropy",)),
    # After chapter 4's primer on packed sequences, which it needs.
    Exercise("04_training_and_evaluation", "ex-bidirectional", "The paper's bidirectional encoder",
             ("check_bidirectional_encoder",)),
    # Every chapter closes with a heatmap to read.
    Exercise("01_why_attention", "ex-read-alignment", "Read a heatmap: one row", ("check_read_alignment",)),
    Exercise("02_additive_attention", "ex-read-total", "Read a heatmap: the columns", ("check_read_total_attention",)),
    Exercise("03_decoder_loop", "ex-read-certainty", "Read a heatmap: the most confident step",
             ("check_read_certainty",)),
    Exercise("04_training_and_evaluation", "ex-read-failure", "Read a heatmap: a word that got lost",
             ("check_read_failure",)),
)

CHECKERS: tuple[str, ...] = tuple(name for exercise in EXERCISES for name in exercise.checkers)
