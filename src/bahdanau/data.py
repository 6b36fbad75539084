"""The English–French corpus, from raw text to padded batches.

The pipeline: step 1 lives in :mod:`bahdanau.download`, the others one per section of this module.

1. **Raw text.** ``fra.txt`` from the d2l ``fra-eng`` archive (manythings.org / Tatoeba) has one
   pair per line, ``english<TAB>french``; 167,130 pairs sorted roughly by length.
   :func:`bahdanau.download.fra_eng_path` finds it (``$BAHDANAU_DATA`` or a per-user cache) or
   downloads it once.
2. **Preprocess.** :func:`preprocess` lower-cases, turns non-breaking spaces into spaces and puts a
   space before ``, . ! ?`` so punctuation becomes its own token — the same rule as d2l's
   ``MTFraEng._preprocess``, plus one extra: the typographic apostrophe ``’`` becomes ``'``.
3. **Tokens.** :func:`tokenize` splits on spaces; :func:`read_pairs` gives ``(english, french)``
   token lists. :func:`split_by_source` makes train/val/test splits *grouped by English sentence*,
   so a test sentence is never seen in training, not even with another French translation.
4. **Vocabulary.** :class:`Vocab` maps tokens to integer indices. ``<pad>``, ``<bos>``, ``<eos>``,
   ``<unk>`` are always 0, 1, 2, 3 (:data:`PAD_INDEX` ... :data:`UNK_INDEX`); rare and unseen
   tokens map to ``<unk>``.
5. **Padded batches.** :func:`collate_pairs` turns a list of pairs into a :class:`Batch` of
   int64 tensors, right-padded with ``<pad>``, and :func:`make_loader` wraps it in a ``DataLoader``.
   :func:`load_corpus` runs the whole pipeline from a :class:`DataConfig`.

Shape letters: ``B`` batch size, ``S`` source length (English tokens + ``<eos>``), ``T`` target
length (French tokens + one of ``<bos>``/``<eos>``). All tensors are batch-first.

For one pair ``go .`` → ``va !`` the batch rows are::

    src     = go  .   <eos>          src_valid_len = 3
    tgt_in  = <bos> va  !            (what the decoder reads: teacher forcing)
    tgt_out = va  !   <eos>          tgt_valid_len = 3   (what the decoder must predict)
"""

from __future__ import annotations

import collections
import contextlib
import gc
import hashlib
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from .download import corpus_sha256, fra_eng_path

__all__ = [
    "PAD",
    "BOS",
    "EOS",
    "UNK",
    "SPECIALS",
    "PAD_INDEX",
    "BOS_INDEX",
    "EOS_INDEX",
    "UNK_INDEX",
    "NUM_SPECIALS",
    "preprocess",
    "tokenize",
    "EMPTY_INPUT_MESSAGE",
    "INPUT_NAME",
    "sentence_words",
    "read_pairs",
    "Vocab",
    "Splits",
    "split_by_source",
    "LONG_FROM",
    "held_out_pairs",
    "filter_by_length",
    "references_by_source",
    "normalised_english",
    "near_duplicates",
    "Batch",
    "encode_sources",
    "collate_pairs",
    "TranslationDataset",
    "make_loader",
    "BucketBatchSampler",
    "DataConfig",
    "Corpus",
    "load_corpus",
    "d2l_config",
]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
# Their indices in every Vocab (0, 1, 2, 3); ordinary tokens start at NUM_SPECIALS.
PAD_INDEX, BOS_INDEX, EOS_INDEX, UNK_INDEX = range(len(SPECIALS))
NUM_SPECIALS = len(SPECIALS)

# A pair of token lists: (english, french), without <eos>.
Pair = tuple[list[str], list[str]]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the corpus is read and split.

    Reading the corpus builds about a million small lists, none of them in a reference cycle, and
    every few hundred of them set the collector off to walk all the objects alive: with it
    running, :func:`load_corpus` and :func:`held_out_pairs` took two to three times as long.
    As a decorator, or ``with``.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ----------------------------------------------------------------------------------------------
# 2. Preprocess and tokenize
# ----------------------------------------------------------------------------------------------

# The empty position between a non-space character and a punctuation mark
# (d2l: `char in ',.!?' and prev_char != ' '`); a space is inserted there.
_BEFORE_UNSPACED_PUNCTUATION = re.compile(r"(?<=[^ ])(?=[,.!?])")


def preprocess(text: str) -> str:
    """Normalise raw text so that splitting on spaces gives the tokens.

    The d2l ``MTFraEng._preprocess`` rule: the narrow and ordinary non-breaking spaces
    (``\\u202f``, ``\\xa0``; French puts them before ``! ?``) become spaces, everything is
    lower-cased, and a space is inserted before ``, . ! ?`` unless one is already there.
    Extra: the typographic apostrophe ``’`` becomes ``'``, so ``j’ai`` and ``j'ai`` are one token.

    >>> preprocess("J’ai faim\\u202f!")
    "j'ai faim !"
    """
    text = text.replace("\u202f", " ").replace("\xa0", " ").replace("\u2019", "'")
    # A regex instead of d2l's character loop: same result (checked in the tests), several times faster.
    return _BEFORE_UNSPACED_PUNCTUATION.sub(" ", text.lower())


def tokenize(sentence: str) -> list[str]:
    """Preprocess, then split on spaces (dropping empty tokens). No ``<eos>`` is added."""
    return _split_on_spaces(preprocess(sentence))


def _split_on_spaces(text: str) -> list[str]:
    tokens = text.split(" ")
    # Double spaces give empty strings; most sentences have none, so skip the filter then.
    return [token for token in tokens if token] if "" in tokens else tokens


# What typed input that holds no word is told (translate, forced alignment, the widgets; the
# browser port reads it from the registry that bahdanau.cli.export_web writes).
EMPTY_INPUT_MESSAGE = "{where} is empty or only whitespace: {text!r}"
# How a message names the one sentence a user typed.
INPUT_NAME = "the sentence"


def sentence_words(text: str, where: str = INPUT_NAME) -> list[str]:
    """The words a model reads from typed text: the one normalisation of user input.

    Any run of whitespace (tabs, line breaks) separates words, then :func:`tokenize`.
    ``where`` names the input in the errors: a ``TypeError`` for a non-string, a
    ``ValueError`` (:data:`EMPTY_INPUT_MESSAGE`) when no word is left.
    """
    if not isinstance(text, str):
        raise TypeError(f"{where} is a {type(text).__name__}, not a string: {text!r}")
    words = tokenize(" ".join(text.split()))
    if not words:
        raise ValueError(EMPTY_INPUT_MESSAGE.format(where=where, text=text))
    return words


@_collector_paused()
def read_pairs(path: str | os.PathLike[str], max_pairs: int | None = None) -> list[Pair]:
    """Tokenized ``(english, french)`` pairs from a tab-separated file, in file order.

    Only the first ``max_pairs`` lines are read (all when ``None``). Lines that do not have
    exactly two tab-separated fields are skipped, as d2l does. Each field gets the tokens
    :func:`tokenize` gives it.
    """
    with open(path, encoding="utf-8") as file:
        text = file.read() if max_pairs is None else "".join(itertools.islice(file, max_pairs))
    # The whole file preprocessed at once, not a call per field (the corpus is read by every chapter
    # and most tests: 1.9 s instead of 3.1 here), with the same tokens: the only difference, a space
    # put before punctuation that opens a field (after a tab or line break), is an empty token, dropped.
    pairs: list[Pair] = []
    for line in preprocess(text).split("\n"):
        fields = line.split("\t")
        if len(fields) == 2:
            pairs.append((_split_on_spaces(fields[0]), _split_on_spaces(fields[1])))
    return pairs


# ----------------------------------------------------------------------------------------------
# 3. Splits grouped by English sentence
# ----------------------------------------------------------------------------------------------


class Splits(NamedTuple):
    """Train, validation and test lists of pairs."""

    train: list[Pair]
    val: list[Pair]
    test: list[Pair]


# split_by_source's long_test_fraction applies to English sentences of more tokens than this:
# the length every "-10" model was trained on.
LONG_FROM = 10


def _unit_hash(src: Sequence[str], seed: int) -> float:
    """A number in [0, 1) that depends only on the sentence and the seed (not on other pairs)."""
    digest = hashlib.sha1(f"{seed}\t{' '.join(src)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_by_source(
    pairs: Iterable[Pair],
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    seed: int = 0,
    *,
    long_test_fraction: float | None = None,
) -> Splits:
    """Split pairs so that all pairs with the same English sentence land in the same split.

    The corpus often has several French translations of one English sentence; a random split
    of *pairs* would put ``"i won ."`` in training and a different translation of it in the test
    set, and the test score would reward memorisation. Each distinct English sentence gets a
    seeded hash in [0, 1): below ``test_fraction`` → test, below ``test_fraction + val_fraction``
    → val, else train. The assignment of a sentence never depends on which other pairs were
    loaded, so reading more or fewer lines keeps a sentence in its split. Corpus order is kept
    within each split.

    ``long_test_fraction``: English sentences of more than :data:`LONG_FROM` tokens are rare
    in the corpus, so a test split of ``test_fraction`` holds too few of them to measure BLEU
    by length. With this set, such a sentence goes to test when its hash is below
    ``long_test_fraction`` (instead of ``test_fraction``), then to val for the next
    ``val_fraction``. Shorter sentences are split exactly as without it, and as the hash is
    the same, every long test sentence of the plain split stays a test sentence (when
    ``long_test_fraction >= test_fraction``).
    """
    test_of_long = test_fraction if long_test_fraction is None else long_test_fraction
    for test in (test_fraction, test_of_long):
        if not (0 <= val_fraction and 0 <= test and val_fraction + test <= 1):
            raise ValueError(f"bad fractions: val={val_fraction}, test={test}")
    splits = Splits([], [], [])
    split_of_source: dict[tuple[str, ...], list[Pair]] = {}
    for pair in pairs:
        source = tuple(pair[0])
        if source not in split_of_source:
            position = _unit_hash(source, seed)
            test = test_of_long if len(source) > LONG_FROM else test_fraction
            if position < test:
                split_of_source[source] = splits.test
            elif position < test + val_fraction:
                split_of_source[source] = splits.val
            else:
                split_of_source[source] = splits.train
        split_of_source[source].append(pair)
    return splits


def filter_by_length(pairs: Iterable[Pair], max_len: int | None) -> list[Pair]:
    """Pairs whose English and French both have at most ``max_len`` tokens (``<eos>`` not counted).

    ``max_len=None`` keeps every pair.
    """
    if max_len is None:
        return list(pairs)
    return [(src, tgt) for src, tgt in pairs if len(src) <= max_len and len(tgt) <= max_len]


# English contractions as the corpus writes them (after `preprocess`), and what they stand for.
_CONTRACTIONS = {"won't": "will not", "can't": "can not", "i'm": "i am", "let's": "let us"}
_CONTRACTION_SUFFIXES = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"),
                         ("'s", " is"))


def normalised_english(tokens: Sequence[str]) -> tuple[str, ...]:
    """A looser identity for English sentences: contractions expanded, punctuation dropped.

    ``["i'm", "tom", "."]`` and ``["i", "am", "tom", "!"]`` both give ``("i", "am", "tom")``.
    Used by :func:`near_duplicates` to measure how many test sentences are training sentences
    in other words. (``'s`` is read as *is*, also where it is a possessive: this errs on the
    side of counting more near-duplicates.)
    """
    words: list[str] = []
    for token in tokens:
        if token in _CONTRACTIONS:
            words.extend(_CONTRACTIONS[token].split())
            continue
        for suffix, expansion in _CONTRACTION_SUFFIXES:
            if token.endswith(suffix) and len(token) > len(suffix):
                token = token[: -len(suffix)] + expansion
                break
        words.extend(word for word in token.split() if any(ch.isalnum() for ch in word))
    return tuple(words)


def near_duplicates(train: Iterable[Pair], test: Iterable[Pair]) -> list[tuple[str, ...]]:
    """The distinct English test sentences that equal a training sentence once normalised.

    ``split_by_source`` keeps every *identical* English sentence in one split; this measures
    what it cannot see: "i'm tired ." in the test split and "i am tired !" in training.
    Returns the test sentences (as token tuples, in first-seen order).
    """
    seen = {normalised_english(src) for src, _ in train}
    test_sources = dict.fromkeys(tuple(src) for src, _ in test)
    return [src for src in test_sources if normalised_english(src) in seen]


def references_by_source(pairs: Iterable[Pair]) -> dict[tuple[str, ...], list[list[str]]]:
    """All distinct French translations of each English sentence, in corpus order.

    Used for multi-reference BLEU: a translation is judged against every accepted answer.
    """
    references: dict[tuple[str, ...], list[list[str]]] = {}
    for src, tgt in pairs:
        translations = references.setdefault(tuple(src), [])
        if tgt not in translations:
            translations.append(list(tgt))
    return references


# ----------------------------------------------------------------------------------------------
# 4. Vocabulary
# ----------------------------------------------------------------------------------------------


class Vocab:
    """A two-way mapping between tokens and integer indices.

    Index order: the specials ``<pad>, <bos>, <eos>, <unk>`` (0, 1, 2, 3), then every token seen
    at least ``min_freq`` times, most frequent first, ties in alphabetical order (so the same
    sentences always give the same vocabulary). ``max_size`` caps the total size, specials
    included. A token not in the vocabulary maps to ``<unk>``.

    >>> vocab = Vocab([["a", "b", "a"]])
    >>> vocab.encode(["a", "b", "zebra"])
    [4, 5, 3]
    """

    _FORMAT = "bahdanau.Vocab"

    def __init__(
        self,
        sentences: Iterable[Sequence[str]] = (),
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> None:
        if max_size is not None and max_size < NUM_SPECIALS:
            raise ValueError(f"max_size={max_size} leaves no room for the {NUM_SPECIALS} specials")
        counts = collections.Counter(token for sentence in sentences for token in sentence)
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted(
            (token for token, count in counts.items() if count >= min_freq),
            key=lambda token: (-counts[token], token),
        )
        if max_size is not None:
            kept = kept[: max_size - NUM_SPECIALS]
        self._set_tokens([*SPECIALS, *kept])

    def _set_tokens(self, tokens: list[str]) -> None:
        self.idx_to_token: list[str] = tokens
        self.token_to_idx: dict[str, int] = {token: index for index, token in enumerate(tokens)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, token: str) -> int:
        return self.token_to_idx.get(token, self.unk)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_idx

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.idx_to_token == other.idx_to_token


    def __repr__(self) -> str:
        shown = NUM_SPECIALS + 6  # the first six ordinary tokens
        preview = ", ".join(self.idx_to_token[NUM_SPECIALS:shown])
        return f"Vocab(size={len(self)}, tokens=[{preview}{', ...' if len(self) > shown else ''}])"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Indices of ``tokens``; unknown tokens give the ``<unk>`` index."""
        return [self[token] for token in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Tokens of ``indices`` (ints or a 1-D tensor); raises ``IndexError`` if out of range."""
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        tokens = []
        for index in indices:
            index = int(index)
            if not 0 <= index < len(self):
                raise IndexError(f"index {index} out of range for a vocabulary of {len(self)}")
            tokens.append(self.idx_to_token[index])
        return tokens

    @property
    def pad(self) -> int:
        return PAD_INDEX

    @property
    def bos(self) -> int:
        return BOS_INDEX

    @property
    def eos(self) -> int:
        return EOS_INDEX

    @property
    def unk(self) -> int:
        return UNK_INDEX

    def to_json(self) -> str:
        """The vocabulary as a JSON string (the token list in index order)."""
        return json.dumps(
            {"format": self._FORMAT, "version": 1, "idx_to_token": self.idx_to_token},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        """Rebuild a vocabulary from :meth:`to_json`; raises ``ValueError`` on anything else."""
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a Vocab JSON document: {error}") from error
        if not isinstance(data, dict) or data.get("format") != cls._FORMAT:
            raise ValueError(f"not a Vocab JSON document (expected format {cls._FORMAT!r})")
        if data.get("version") != 1:
            raise ValueError(f"unsupported Vocab version {data.get('version')!r}")
        tokens = data.get("idx_to_token")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError("idx_to_token must be a list of strings")
        if tuple(tokens[:NUM_SPECIALS]) != SPECIALS:
            raise ValueError(f"the first tokens must be {list(SPECIALS)}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("idx_to_token has duplicates")
        vocab = cls()
        vocab._set_tokens(list(tokens))
        return vocab

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocab:
        """Read a vocabulary written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------
# 5. Padded batches
# ----------------------------------------------------------------------------------------------


class Batch(NamedTuple):
    """One batch of index tensors, batch-first and right-padded with ``<pad>`` (:data:`PAD_INDEX`).

    Attributes:
        src: ``(B, S)`` int64, English tokens + ``<eos>``.
        src_valid_len: ``(B,)`` int64, real tokens per row, counting ``<eos>``.
        tgt_in: ``(B, T)`` int64, ``<bos>`` + French tokens: the decoder's input (teacher forcing).
        tgt_out: ``(B, T)`` int64, French tokens + ``<eos>``: what the decoder must predict,
            ``tgt_in`` shifted left by one.
        tgt_valid_len: ``(B,)`` int64, real tokens per row of ``tgt_out``, counting ``<eos>``.
    """

    src: Tensor
    src_valid_len: Tensor
    tgt_in: Tensor
    tgt_out: Tensor
    tgt_valid_len: Tensor


def _pad_rows(rows: list[list[int]], length: int, pad: int) -> Tensor:
    """Trim or right-pad every row to ``length``; ``(B, length)`` int64."""
    return torch.tensor(
        [row[:length] + [pad] * (length - len(row)) for row in rows], dtype=torch.long
    )


def encode_sources(
    sentences: Sequence[Sequence[str]],
    src_vocab: Vocab,
    num_steps: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Encode English token lists as a padded batch.

    Appends ``<eos>`` to each sentence, then pads to the longest one in the batch, or — when
    ``num_steps`` is given, as d2l does — pads or trims every row to exactly ``num_steps``
    (a trimmed row loses its ``<eos>``).

    Returns:
        ``src`` ``(B, S)`` int64 and ``src_valid_len`` ``(B,)`` int64 (counts ``<eos>``).
    """
    if not sentences:
        raise ValueError("encode_sources needs at least one sentence")
    rows = [src_vocab.encode(sentence) + [src_vocab.eos] for sentence in sentences]
    length = num_steps if num_steps is not None else max(len(row) for row in rows)
    src = _pad_rows(rows, length, src_vocab.pad)  # (B, S)
    src_valid_len = torch.tensor([min(len(row), length) for row in rows], dtype=torch.long)  # (B,)
    return src, src_valid_len


def collate_pairs(
    pairs: Sequence[Pair],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    num_steps: int | None = None,
) -> Batch:
    """Turn a list of ``(english, french)`` token pairs into a :class:`Batch`.

    Each French sentence gives two rows: ``tgt_in = <bos> + tokens`` and
    ``tgt_out = tokens + <eos>``. Rows are padded to the batch's longest sentence (``S`` and ``T``
    vary from batch to batch), or padded/trimmed to ``num_steps`` for both ``S`` and ``T``
    (d2l's fixed length).
    """
    if not pairs:
        raise ValueError("collate_pairs needs at least one pair")
    src, src_valid_len = encode_sources([src for src, _ in pairs], src_vocab, num_steps)
    tgt_tokens = [tgt_vocab.encode(tgt) for _, tgt in pairs]
    in_rows = [[tgt_vocab.bos] + tokens for tokens in tgt_tokens]
    out_rows = [tokens + [tgt_vocab.eos] for tokens in tgt_tokens]
    length = num_steps if num_steps is not None else max(len(row) for row in out_rows)
    tgt_in = _pad_rows(in_rows, length, tgt_vocab.pad)  # (B, T)
    tgt_out = _pad_rows(out_rows, length, tgt_vocab.pad)  # (B, T)
    tgt_valid_len = torch.tensor([min(len(row), length) for row in out_rows], dtype=torch.long)
    return Batch(src, src_valid_len, tgt_in, tgt_out, tgt_valid_len)


class TranslationDataset(Dataset):
    """A list of ``(english, french)`` token pairs as a map-style dataset (items are pairs)."""

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self.pairs = list(pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> Pair:
        return self.pairs[index]


def make_loader(
    pairs: Sequence[Pair],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    num_steps: int | None = None,
    bucket_by_length: bool = False,
) -> DataLoader:
    """A ``DataLoader`` that yields :class:`Batch` es.

    Batches are padded to their own longest sentence unless ``num_steps`` is given. Shuffling
    uses its own seeded ``torch.Generator``, so the order is reproducible and does not touch the
    global random state. With ``bucket_by_length`` (and ``shuffle``), see
    :class:`BucketBatchSampler`: batches hold sentences of similar length, so far less padding
    is computed (training is then about 1.5x faster on this corpus).
    """
    collate = partial(collate_pairs, src_vocab=src_vocab, tgt_vocab=tgt_vocab, num_steps=num_steps)
    dataset = TranslationDataset(pairs)
    if shuffle and bucket_by_length:
        sampler = BucketBatchSampler(pairs, batch_size, seed=seed)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, num_workers=0)
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=collate,
        num_workers=0,
    )


class BucketBatchSampler(torch.utils.data.Sampler):
    """Shuffled batches of similar-length pairs (the usual trick for RNN translation).

    Each epoch: shuffle all indices (seeded), cut them into pools of ``pool_batches``
    batches, sort each pool by (source length, target length), cut it into batches and
    shuffle the order of all batches. Sentences still meet different neighbours every
    epoch, but a batch of 5-token sentences is no longer padded to 10.
    """

    def __init__(self, pairs: Sequence[Pair], batch_size: int, *, seed: int = 0, pool_batches: int = 50):
        self.lengths = [(len(src), len(tgt)) for src, tgt in pairs]
        self.batch_size = batch_size
        self.pool_size = batch_size * pool_batches
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        batches = []
        for start in range(0, len(order), self.pool_size):
            pool = sorted(order[start : start + self.pool_size], key=self.lengths.__getitem__)
            batches += [pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
        for index in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[index]


# ----------------------------------------------------------------------------------------------
# The whole pipeline
# ----------------------------------------------------------------------------------------------


@dataclass
class DataConfig:
    """Everything that decides which pairs and which vocabularies :func:`load_corpus` builds.

    Attributes:
        max_pairs: read only the first N lines of the corpus (``None``: all).
        max_len: drop pairs with more tokens than this on either side, per split after
            splitting (``None``: keep all).
        min_freq: a token needs this many occurrences in the training split to enter a vocabulary.
        max_vocab: cap on each vocabulary's size, specials included (``None``: no cap).
        val_fraction, test_fraction, split_seed, long_test_fraction: see :func:`split_by_source`.
        num_steps: d2l-style fixed batch length for ``S`` and ``T`` (``None``: pad per batch).
        d2l_subset: ``(num_train, num_val)``: instead of the hashed train/val splits, take the first
            ``num_train`` and the next ``num_val`` pairs whose English is not in the test split.
    """

    max_pairs: int | None = None
    max_len: int | None = 10
    min_freq: int = 2
    max_vocab: int | None = None
    val_fraction: float = 0.05
    test_fraction: float = 0.05
    split_seed: int = 0
    num_steps: int | None = None
    d2l_subset: tuple[int, int] | None = None
    long_test_fraction: float | None = None

    def __post_init__(self) -> None:
        # Accept a list (e.g. read back from JSON) but store a tuple.
        if self.d2l_subset is not None:
            self.d2l_subset = (int(self.d2l_subset[0]), int(self.d2l_subset[1]))


def d2l_config() -> DataConfig:
    """d2l's recipe: 512 training and 128 validation pairs, ``num_steps=9``, ``min_freq=2``.

    Unlike d2l, the vocabularies come from the 512 training pairs only, and the subset never
    contains an English sentence of our test split, so test scores are comparable across presets.
    """
    return DataConfig(d2l_subset=(512, 128), num_steps=9, min_freq=2, max_len=None)


@dataclass
class Corpus:
    """The result of :func:`load_corpus`: splits, vocabularies, and what produced them.

    Attributes:
        train, val, test: lists of ``(english, french)`` token pairs (no ``<eos>``).
        src_vocab, tgt_vocab: English and French vocabularies, built on ``train`` only.
        config: the :class:`DataConfig` used (a copy).
        sha256: SHA-256 of the corpus file, see :func:`bahdanau.download.corpus_sha256`.
    """

    train: list[Pair]
    val: list[Pair]
    test: list[Pair]
    src_vocab: Vocab
    tgt_vocab: Vocab
    config: DataConfig
    sha256: str

    def loader(
        self, split: str, batch_size: int, shuffle: bool = False, seed: int = 0, bucket_by_length: bool = False
    ) -> DataLoader:
        """:func:`make_loader` for ``"train"``, ``"val"`` or ``"test"`` with this corpus's vocabularies
        and ``config.num_steps``."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val' or 'test', not {split!r}")
        return make_loader(
            getattr(self, split),
            self.src_vocab,
            self.tgt_vocab,
            batch_size,
            shuffle=shuffle,
            seed=seed,
            num_steps=self.config.num_steps,
            bucket_by_length=bucket_by_length,
        )


@_collector_paused()
def load_corpus(
    config: DataConfig | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Corpus:
    """Read, split, filter and index the corpus as ``config`` says.

    ``path`` names a corpus file directly (tests use a small one); otherwise
    :func:`bahdanau.download.fra_eng_path` finds or downloads ``fra.txt`` in ``data_dir``
    (and raises :class:`~bahdanau.download.DownloadError` if it cannot).

    Steps: read pairs (``max_pairs``) → :func:`split_by_source` → :func:`filter_by_length` on each
    split (``max_len``) → vocabularies on train only (``min_freq``, ``max_vocab``). With
    ``d2l_subset=(n_train, n_val)``, train and val are instead the first ``n_train`` and next
    ``n_val`` length-filtered pairs outside the test split, in corpus order (as in d2l, the two may
    share an English sentence at the boundary; never with test). Fewer are returned if the corpus
    runs out.
    """
    config = replace(config) if config is not None else DataConfig()
    corpus_file = Path(path) if path is not None else fra_eng_path(data_dir)
    pairs = read_pairs(corpus_file, max_pairs=config.max_pairs)
    splits = split_by_source(pairs, config.val_fraction, config.test_fraction, config.split_seed,
                             long_test_fraction=config.long_test_fraction)
    test = filter_by_length(splits.test, config.max_len)
    if config.d2l_subset is None:
        train = filter_by_length(splits.train, config.max_len)
        val = filter_by_length(splits.val, config.max_len)
    else:
        num_train, num_val = config.d2l_subset
        test_sources = {tuple(src) for src, _ in splits.test}
        outside_test = [pair for pair in pairs if tuple(pair[0]) not in test_sources]
        outside_test = filter_by_length(outside_test, config.max_len)
        train = outside_test[:num_train]
        val = outside_test[num_train : num_train + num_val]
    src_vocab = Vocab((src for src, _ in train), config.min_freq, config.max_vocab)
    tgt_vocab = Vocab((tgt for _, tgt in train), config.min_freq, config.max_vocab)
    return Corpus(train, val, test, src_vocab, tgt_vocab, config, corpus_sha256(corpus_file))


@_collector_paused()
def held_out_pairs(data_config: DataConfig | dict, data_dir: str | os.PathLike[str] | None = None,
                   path: str | os.PathLike[str] | None = None) -> list[Pair]:
    """The whole test split (all lengths) that a model trained with ``data_config`` never saw.

    Only the split settings (``val_fraction``, ``test_fraction``, ``split_seed``) matter:
    every preset that shares them is evaluated on the same sentences.
    """
    if isinstance(data_config, dict):
        known = {f.name for f in fields(DataConfig)}
        data_config = DataConfig(**{k: v for k, v in data_config.items() if k in known})
    corpus_file = Path(path) if path is not None else fra_eng_path(data_dir)
    splits = split_by_source(read_pairs(corpus_file), data_config.val_fraction, data_config.test_fraction,
                             data_config.split_seed, long_test_fraction=data_config.long_test_fraction)
    return splits.test
