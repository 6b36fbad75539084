"""What a checker returns, and the wrapper that keeps a learner's mistake from
becoming a traceback.

Every checker in :mod:`bahdanau.exercises` takes one answer (a number, a tuple
of shapes, a function, a module or a class) and returns a :class:`Feedback`.
The wrapper :func:`checker` turns the three things that can go wrong before
the checker has an opinion into messages:

- the answer is still ``None`` (the exercise cell as the book ships it): say
  what to put there;
- the learner's code raises: name the exception and its message, never a
  traceback;
- the answer has the wrong type: say which type was expected.
"""

from __future__ import annotations

import contextvars
import functools
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["Feedback", "checker", "passed", "failed", "current_seed"]

# The rendered book's code column holds 78 characters: a printed or displayed
# Feedback never has a longer line.
WIDTH = 78
_INDENT = "    "  # continuation lines of a wrapped verdict
# Kept on one line when wrapping: a short parenthesised group without nested
# parentheses, such as a shape "(B, T, S)", and "e.g." with its example.
_GROUP = re.compile(r"\([^()]{1,24}\)|\be\.g\. ")
_KEEP = "\x1f"  # stands for a space that must not become a line break


def _wrap(text: str) -> str:
    """``text`` in lines of at most :data:`WIDTH` characters.

    Continuation lines are indented; each line of ``text`` is wrapped on its
    own, and short parenthesised groups (and "e.g. x") stay whole.
    """

    def keep(group: re.Match) -> str:
        return group.group().replace(" ", _KEEP)

    wrapper = textwrap.TextWrapper(
        width=WIDTH, subsequent_indent=_INDENT, break_on_hyphens=False
    )
    lines = []
    for paragraph in text.splitlines() or [""]:
        wrapped = wrapper.wrap(_GROUP.sub(keep, paragraph)) or [""]
        lines.extend(line.replace(_KEEP, " ") for line in wrapped)
    return "\n".join(lines)


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes:
        passed: True when the answer is correct.
        message: what was checked, or what is wrong and where, in one or two
            sentences (one string, however long).
        answered: False while the answer is still ``None``.

    Printed (or shown as a cell's result) it is plain text, wrapped to lines
    of at most 78 characters (the book's code column), continuation lines
    indented, so stored notebook outputs stay readable and identical from run
    to run.
    """

    passed: bool
    message: str
    answered: bool = True

    def __str__(self) -> str:
        if not self.answered:
            verdict = "Not answered yet"
        else:
            verdict = "Correct" if self.passed else "Not yet"
        return _wrap(f"{verdict}: {self.message}")

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """IPython's display hook: the same text as ``print`` shows."""
        printer.text(str(self))


def passed(message: str) -> Feedback:
    return Feedback(True, message)


def failed(message: str) -> Feedback:
    return Feedback(False, message)


# The seed of the checker running now (0 for the book's calls), for the
# checkers that also draw the sizes of their random inputs from it.
_SEED: contextvars.ContextVar[int] = contextvars.ContextVar("seed", default=0)


def current_seed() -> int:
    """The ``seed`` the running checker was called with (0 by default)."""
    return _SEED.get()


def _describe_error(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def checker(
    expected: str, *, kind: type | tuple[type, ...] | None = None
) -> Callable:
    """Decorate a checker: handle ``None``, wrong types and exceptions, fix
    the random seed.

    Args:
        expected: what the answer should be, as the "replace None with ..."
            hint says it, e.g.
            ``"a tuple of two shapes, e.g. ((1, 2, 3), (4, 5, 6))"``.
        kind: the accepted type(s) of the answer; ``callable`` answers are
            checked by the checker itself.

    The wrapped checker runs with PyTorch's random generator forked and
    seeded, so its random test inputs are the same at every call and the
    learner's own random state is left untouched, and with gradients enabled
    (the notebook's setting is restored afterwards). It takes a keyword-only
    ``seed`` (default 0, what the book's cells use): another seed gives other
    random inputs, and for some checkers other sizes, e.g.
    ``check_additive_weights(answer, seed=3)`` (the autograder's hidden
    tests do that).
    """

    def decorate(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def wrapper(answer, *args, seed: int = 0, **kwargs) -> Feedback:
            if answer is None:
                return Feedback(
                    False, f"replace None with {expected}.", answered=False
                )
            if kind is not None and not isinstance(answer, kind):
                got = type(answer).__name__
                return failed(f"expected {expected}, got a {got}.")
            token = _SEED.set(int(seed))
            try:
                # Gradients on whatever the notebook set (a chapter turns them
                # off): a checker that trains a learner's module needs them.
                with torch.random.fork_rng(devices=[]), torch.enable_grad():
                    torch.manual_seed(int(seed))
                    return check(answer, *args, **kwargs)
            # The learner's code failed: report it, never a traceback.
            except Exception as error:
                described = _describe_error(error)
                return failed(f"running your answer raised {described}")
            finally:
                _SEED.reset(token)

        wrapper.expected = expected
        return wrapper

    return decorate
