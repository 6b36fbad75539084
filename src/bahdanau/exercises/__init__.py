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

The public names load on first use (``exercises.check_encoder_shapes`` imports
:mod:`bahdanau.exercises.checks` then), so that the Otter-Grader plugin,
:mod:`bahdanau.exercises.guard`, loads without PyTorch.
"""

from __future__ import annotations

from .._lazy import lazy_names

# Where each public name comes from: {name: submodule}. Nothing is imported here
# (bahdanau._lazy says why): a name imports its submodule when first used.
_SOURCES: dict[str, str] = {
    "Answer": "catalogue",
    "Exercise": "catalogue",
    "EXERCISES": "catalogue",
    "CHECKERS": "catalogue",
    "CHAPTERS": "catalogue",
    "Feedback": "feedback",
    "BuggyAttentionDecoder": "lab",
    "ScoringResult": "lab",
    "compare_scoring": "lab",
    "decoder_with_attention": "lab",
    "plot_reading": "lab",
    "reading_translation": "lab",
    "shipped_translator": "lab",
    # checks.__all__ (tests/test_imports.py checks that the two lists agree)
    "check_encoder_shapes": "checks",
    "check_parameter_count": "checks",
    "check_bidirectional_encoder": "checks",
    "check_attention_weight": "checks",
    "check_additive_weights": "checks",
    "check_dot_product_attention": "checks",
    "check_decoder_shapes": "checks",
    "check_fixed_decoder": "checks",
    "check_lstm_decoder": "checks",
    "check_bleu_by_hand": "checks",
    "check_batch_targets": "checks",
    "check_masked_loss": "checks",
    "check_aer_by_hand": "checks",
    "check_length_normalised_score": "checks",
    "check_beam_winner": "checks",
    "check_attention_entropy": "checks",
    "check_read_alignment": "checks",
    "check_read_total_attention": "checks",
    "check_read_certainty": "checks",
    "check_read_failure": "checks",
    "check_steered_word": "checks",
    "check_read_one_word_late": "checks",
}

# `problems` is a submodule, which __getattr__ imports as such.
__all__ = [*_SOURCES, "problems"]

__getattr__, __dir__ = lazy_names(__name__, __path__, _SOURCES, globals())
