"""Steering the attention: move a row of the heatmap and see what the decoder writes (chapters 3 and 5).

A heatmap shows where each decoder step looked. Whether what it looked at decided the word it
wrote cannot be read off the picture; it can be tested by intervening. :func:`bahdanau.decoding.translate`
takes an ``override``: step i uses weights alpha_ij that we give instead of its own, builds its
context c_i = sum_j alpha_ij h_j from them (eq. 5), and decoding goes on as usual from there.

- :func:`steer_each_word`: one sentence, one step, all of that step's weight moved to each
  content word in turn: which French word does the step write then?
- :func:`steering_sample`: the same question over many held-out sentences
  (:func:`held_out_sample`), with one step and one target per sentence chosen by a fixed rule
  (:func:`pick_step`), so the share of steps whose word changes is a measurement, not a
  hand-picked example.

A *content word* here is a source token with a letter in it that is not ``<eos>`` and not one of
:data:`FUNCTION_WORDS` (articles, pronouns, auxiliaries, prepositions, conjunctions).

Shapes: S source tokens (``<eos>`` included), T output tokens (``<eos>`` included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..data import EOS, held_out_pairs
from ..decoding import Translation, focus_row

__all__ = ["FUNCTION_WORDS", "content_positions", "Steered", "steer_each_word", "pick_step", "SteeringSample",
           "held_out_sample", "steering_sample"]

# English words that carry grammar more than meaning: moving the attention onto one of them is
# not "looking at another word" in the sense the chapters test.
FUNCTION_WORDS = frozenset(
    "a an the this that these those some any i you he she it we they me him her us them my your his its our "
    "their is are was were be been being am do does did have has had will would can could shall should may might "
    "must to of in on at for with from by about into over under up down out as than and or but not no so if "
    "there here what who whom which when where why how i'm you're he's she's it's we're they're don't "
    "doesn't didn't isn't aren't wasn't weren't can't won't i'll you'll i've i'd".split()
)


def content_positions(src_tokens: Sequence[str]) -> list[int]:
    """Positions of the content words of a source (``<eos>``, punctuation and function words left out)."""
    return [
        j for j, token in enumerate(src_tokens)
        if token != EOS and token not in FUNCTION_WORDS and any(char.isalpha() for char in token)
    ]


@dataclass(frozen=True)
class Steered:
    """One step of one sentence, steered onto one source token.

    Attributes:
        english: the source sentence.
        step: the output step (0 for the first French word).
        looked_at, weight: the source token the step's own weights favour most, and that weight.
        target: the source token that all of the step's weight was moved to.
        original: the French word the step writes on its own.
        written: the French word it writes when steered (``<eos>`` if it ends the sentence there).
        before, after: the whole translation, unsteered and steered.
    """

    english: str
    step: int
    looked_at: str
    weight: float
    target: str
    original: str
    written: str
    before: Translation
    after: Translation

    @property
    def changed(self) -> bool:
        """Whether the word written at the steered step changed."""
        return self.written != self.original


def _word_at(translation: Translation, step: int) -> str:
    """The token written at ``step``: a word, or ``<eos>`` when the translation ends there."""
    return translation.tokens[step] if step < len(translation.tokens) else EOS


def _steer(translator, english: str, before: Translation, step: int, target: int) -> Steered:
    """Move all of ``step``'s weight in ``before`` onto source token ``target`` and decode again."""
    row = before.attention[step]  # (S,): the step's own weights
    after = translator.translate(english, override={step: focus_row(len(before.src_tokens), target)})
    looked = int(row.argmax())
    return Steered(english, step, before.src_tokens[looked], float(row[looked]), before.src_tokens[target],
                   _word_at(before, step), _word_at(after, step), before, after)


def steer_each_word(translator, english: str, step: int) -> list[Steered]:
    """Move all of ``step``'s weight onto each content word of ``english`` in turn.

    Greedy decoding with ``translator`` (a :class:`~bahdanau.pretrained.Translator` of a model
    with attention); one :class:`Steered` per content word, in source order.
    """
    before = translator.translate(english)
    if not 0 <= step < len(before.tokens):
        raise ValueError(f"step must lie in [0, {len(before.tokens)}) (the translation's words), got {step}")
    return [_steer(translator, english, before, step, j) for j in content_positions(before.src_tokens)]


def pick_step(translation: Translation) -> tuple[int, int] | None:
    """The rule that picks what to steer in a translation: ``(step, target)``, or None.

    The step: of the steps that write a word (not ``<eos>``) and look most at a content word,
    the one whose largest weight is highest (the step that looks most clearly at one word).
    The target: the other content word that this step looks at least (the first of equals).
    None when the source has fewer than two content words or no step looks most at one.
    """
    content = content_positions(translation.src_tokens)
    if len(content) < 2:
        return None
    best: tuple[float, int, int] | None = None
    for step in range(len(translation.tokens)):
        row = translation.attention[step]  # (S,)
        looked = int(row.argmax())
        if looked in content and (best is None or float(row[looked]) > best[0]):
            best = float(row[looked]), step, looked
    if best is None:
        return None
    _, step, looked = best
    row = translation.attention[step]
    target = min((j for j in content if j != looked), key=lambda j: float(row[j]))
    return step, target


@dataclass(frozen=True)
class SteeringSample:
    """:func:`steering_sample`'s result: one :class:`Steered` per sentence the rule applies to."""

    steered: list[Steered]
    skipped: int  # sentences with fewer than two content words, or no step that looks at one

    @property
    def changed(self) -> int:
        """How many steered steps wrote another word."""
        return sum(item.changed for item in self.steered)

    @property
    def share_changed(self) -> float:
        return self.changed / len(self.steered)


def held_out_sample(translator, count: int = 300, data_dir: str | None = None, path: str | None = None) -> list[str]:
    """``count`` English test sentences the model never saw, spread over their lengths.

    The rule: the distinct English sentences of the model's test split
    (:func:`bahdanau.data.held_out_pairs`) of at most the length it was trained on, with at least
    two content words, in the split's order; then every n-th of them, n chosen to keep ``count``.
    Reads the corpus (``BAHDANAU_DATA``, ``data_dir``, or the file ``path``).
    """
    data_config = translator.metadata["data_config"]
    max_len = data_config["max_len"]
    pairs = held_out_pairs(data_config, data_dir, path)
    english = dict.fromkeys(" ".join(src) for src, _ in pairs if len(src) <= max_len)
    candidates = [sentence for sentence in english if len(content_positions(sentence.split())) >= 2]
    if len(candidates) < count:
        raise ValueError(f"the test split has {len(candidates)} such sentences, fewer than {count}")
    return candidates[:: len(candidates) // count][:count]


def steering_sample(translator, sentences: Iterable[str]) -> SteeringSample:
    """Steer one step of every sentence by :func:`pick_step`'s rule; count the words that change.

    The sentences are first translated together, unsteered; then each picked step is steered
    and its sentence decoded again, alone (an ``override`` steers one sentence).
    """
    sentences = list(sentences)
    steered, skipped = [], 0
    # One call for the whole list: translate decodes it in batches, several times faster than a
    # sentence at a time, with the same words (the weights may differ in the last float digits).
    for english, before in zip(sentences, translator.translate(sentences)):
        picked = pick_step(before)
        if picked is None:
            skipped += 1
            continue
        steered.append(_steer(translator, english, before, *picked))
    return SteeringSample(steered, skipped)
