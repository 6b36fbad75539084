"""What a checker returns, and the wrapper that keeps a learner's mistake from becoming a traceback.

Every checker in :mod:`bahdanau.exercises` takes one answer (a number, a tuple of shapes, a
function, a module or a class) and returns a :class:`Feedback`. The wrapper :func:`checker`
turns the three things that can go wrong before the checker has an opinion into messages:

- the answer is still ``None`` (the exercise cell as the book ships it): say what to put there;
- the learner's code raises: name the exception and its message, never a traceback;
- the answer has the wrong type: say which type was expected.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["Feedback", "checker", "passed", "failed"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes:
        passed: True when the answer is correct.
        message: what was checked, or what is wrong and where, in one or two sentences.
        answered: False while the answer is still ``None``.

    Printed (or shown as a cell's result) it is one line of plain text, so stored notebook
    outputs stay readable and identical from run to run.
    """

    passed: bool
    message: str
    answered: bool = True

    def __str__(self) -> str:
        if not self.answered:
            return f"Not answered yet: {self.message}"
        return f"{'Correct' if self.passed else 'Not yet'}: {self.message}"

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's display hook
        printer.text(str(self))


def passed(message: str) -> Feedback:
    return Feedback(True, message)


def failed(message: str) -> Feedback:
    return Feedback(False, message)


def _describe_error(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def checker(expected: str, *, kind: type | tuple[type, ...] | None = None) -> Callable:
    """Decorate a checker: handle ``None``, wrong types and exceptions, fix the random seed.

    Args:
        expected: what the answer should be, as the "replace None with ..." hint says it,
            e.g. ``"a tuple of two shapes, e.g. ((4, 7, 16), (2, 4, 16))"``.
        kind: the accepted type(s) of the answer; ``callable`` answers are checked by the
            checker itself.

    The wrapped checker runs with PyTorch's random generator forked and seeded, so its
    random test inputs are the same at every call and the learner's own random state is
    left untouched.
    """

    def decorate(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def wrapper(answer, *args, **kwargs) -> Feedback:
            if answer is None:
                return Feedback(False, f"replace None with {expected}.", answered=False)
            if kind is not None and not isinstance(answer, kind):
                return failed(f"expected {expected}, got a {type(answer).__name__}.")
            try:
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(0)
                    return check(answer, *args, **kwargs)
            except Exception as error:  # the learner's code failed: report it, never a traceback
                return failed(f"running your answer raised {_describe_error(error)}")

        wrapper.expected = expected
        return wrapper

    return decorate
