"""The models that ship with the package: ``load_pretrained("rnnsearch")`` (the default),
``("attention")`` and ``("no-attention")``.

All three were trained by ``python -m bahdanau.cli.train --preset NAME`` on the same data, for the
same number of epochs. ``attention`` and ``no-attention`` differ only in the decoder, so the
book can *measure* what attention buys; ``rnnsearch`` is the paper's architecture
(bidirectional encoder, ``s_0 = tanh(W_s <-h_1)``, maxout deep output; see
``book/notation.md`` for every remaining difference from the paper). Their files live in
``bahdanau/pretrained/`` (package data: ``pip install`` from the repository brings them), weights
in float16, metadata as JSON inside the file: the preset, the
full configuration, the corpus SHA-256, the split seed, the test BLEU (overall and by length,
each with sacreBLEU's signature; with unknown-word replacement for the attention models), the
alignment scores on the gold set (attention models), the training time and the machine.
``SYSTEM-vs-BASELINE.json`` files beside them hold paired bootstraps (:func:`recorded_comparison`),
and ``paper.json`` the paper's Figure 2 and Table 1 measured on every shipped model
(:func:`recorded_paper`).

:data:`SHIPPED` is the one registry of these models: their names, the default
(:data:`DEFAULT_MODEL`), and per model what the reader's browser needs (whether
``bahdanau.cli.export_web`` exports it, its input limit). Everything else reads it: ``PRETRAINED``
and ``WEB_MODELS`` below, ``make web-models`` (``python -m bahdanau.cli.export_web --web``), which
writes it into ``book/_static/models/registry.js`` for ``book/_static/bahdanau-web.js`` and
``bahdanau-views.js``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from torch import nn

from .alignment import Alignment, forced_alignment
from .data import Vocab
from .decoding import MAX_SRC_LEN, Translation, translate
from .training import load_checkpoint

__all__ = [
    "ShippedModel", "SHIPPED", "DEFAULT_MODEL", "PRETRAINED", "WEB_MODELS", "UNKNOWN_MODEL_MESSAGE",
    "UNKNOWN_WEB_MODEL_MESSAGE", "RECORDED", "COMPARISONS", "Translator", "shipped_model", "pretrained_path",
    "load_pretrained", "recorded_metadata", "recorded_comparison", "PAPER_FILE", "recorded_paper",
    "SEEDS_FILE", "recorded_seeds",
]


@dataclass(frozen=True)
class ShippedModel:
    """One model of the registry :data:`SHIPPED`.

    Attributes:
        name: what :func:`load_pretrained` takes; the files are ``pretrained/NAME.pt`` and ``NAME.json``.
        web: exported for the reader's browser (``book/_static/bahdanau-web.js``), which runs
            attention decoders only (``no-attention`` has no weights alpha_ij to show).
        max_src_len: the longest input :meth:`Translator.translate` reads, in words: a longer
            sentence is cut to its first ``max_src_len`` words, with a warning. The browser cuts
            at the same length; its output limit is :func:`~bahdanau.decoding.default_max_len`,
            as in Python.
    """

    name: str
    web: bool
    max_src_len: int = MAX_SRC_LEN


# The registry of the shipped models, in the order the book lists them.
SHIPPED: tuple[ShippedModel, ...] = (
    ShippedModel("attention", web=True),
    ShippedModel("no-attention", web=False),
    ShippedModel("rnnsearch", web=False),
    # The paper's RNNencdec-30 and RNNsearch-30, scaled down: trained on sentences of up to 30
    # tokens, tested on a larger held-out share of the long ones (data.split_by_source).
    ShippedModel("rnnencdec-30", web=False),
    # The browser runs it where it ran `rnnsearch`: a reader's first sentence is often longer
    # than the 10 tokens the other models were trained on.
    ShippedModel("rnnsearch-30", web=True),
)
# The model used when none is named, by load_pretrained() and by the browser (bahdanau-web.js,
# the book's live views): the paper's architecture, trained on sentences of up to 30 tokens.
# The notebooks always name their model.
DEFAULT_MODEL = "rnnsearch-30"

PRETRAINED = tuple(model.name for model in SHIPPED)
# The models bahdanau.cli.export_web writes for the browser.
WEB_MODELS = tuple(model.name for model in SHIPPED if model.web)
# What an unknown name is told: by load_pretrained, and by the export and the browser (which reads
# it from models/registry.js). str.format: {name!r} is repr(name), {choices} the names joined by ", ".
UNKNOWN_MODEL_MESSAGE = "no pretrained model named {name!r}; choose one of {choices}"
UNKNOWN_WEB_MODEL_MESSAGE = "no browser export for a model named {name!r}; choose one of {choices}"
# Runs whose metadata ships (NAME.json) without necessarily their weights: d2l's recipe is
# recorded for comparison, but its 13 MB of weights are not shipped.
RECORDED = PRETRAINED + ("d2l",)
# The paired bootstraps that ship (system, baseline): see recorded_comparison.
COMPARISONS = (("attention", "no-attention"), ("rnnsearch", "no-attention"), ("rnnsearch", "attention"))
# Figure 2 and Table 1 of the paper, measured on every shipped model: see recorded_paper.
PAPER_FILE = "paper.json"
# Written by python -m bahdanau.cli.seeds --record: the shipped recipes retrained with other seeds.
SEEDS_FILE = "seeds.json"


@dataclass
class Translator:
    """A trained model with its vocabularies, ready to translate English into French.

    Attributes:
        model: the :class:`~bahdanau.models.EncoderDecoder`, float32, in eval mode.
        src_vocab, tgt_vocab: the English and French vocabularies it was trained with.
        metadata: what the training run recorded (see the module docstring).
    """

    model: nn.Module
    src_vocab: Vocab
    tgt_vocab: Vocab
    metadata: dict[str, Any]
    max_src_len: int = MAX_SRC_LEN  # translate's default input limit (the registry's, see ShippedModel)

    def translate(
        self, sentences: str | Sequence[str], beam_size: int = 1, **options
    ) -> Translation | list[Translation]:
        """Translate one sentence (returns a :class:`~bahdanau.decoding.Translation`) or a list.

        Each result has ``.tokens`` (French, no ``<eos>``), ``.attention`` (output tokens incl.
        ``<eos>`` x source tokens incl. ``<eos>``; None without attention), ``.src_tokens`` and
        ``.unknown`` (the English words the model could not read). ``options`` go to
        :func:`bahdanau.decoding.translate` (``max_len``, ``max_src_len``, ``length_penalty``,
        ``replace_unk``, ``override`` to steer the attention, ...); ``max_src_len`` defaults to the
        model's own (:class:`ShippedModel`).
        """
        options.setdefault("max_src_len", self.max_src_len)
        return translate(self.model, sentences, self.src_vocab, self.tgt_vocab, beam_size=beam_size, **options)

    def align(self, english: str, french: str) -> Alignment:
        """The attention weights the model puts on ``english`` while it reads ``french``.

        Teacher forcing (:func:`bahdanau.alignment.forced_alignment`): returns an
        :class:`~bahdanau.alignment.Alignment` with ``weights`` of shape (French tokens +
        ``<eos>``, English tokens + ``<eos>``), both token lists and the unknown words.
        Raises TypeError or ValueError for bad input, as :meth:`translate` does.
        """
        return forced_alignment(self.model, english, french, self.src_vocab, self.tgt_vocab)

    def __repr__(self) -> str:
        test = self.metadata.get("test", {})
        bleu = f", test BLEU {test['test_bleu']:.1f}" if "test_bleu" in test else ""
        return f"Translator({self.metadata.get('preset', '?')!r}{bleu})"


def shipped_model(name: str) -> ShippedModel:
    """The registry's entry for ``name``; ``ValueError`` (:data:`UNKNOWN_MODEL_MESSAGE`) for another name."""
    for model in SHIPPED:
        if model.name == name:
            return model
    raise ValueError(UNKNOWN_MODEL_MESSAGE.format(name=name, choices=", ".join(PRETRAINED)))


def pretrained_path(name: str) -> Path:
    """Where the shipped checkpoint ``name`` lives inside the installed package."""
    return Path(str(resources.files("bahdanau") / "pretrained" / f"{shipped_model(name).name}.pt"))


def recorded_metadata(name: str) -> dict[str, Any]:
    """The metadata of a shipped training run (``RECORDED``), read from its JSON file.

    Cheap (no weights are loaded): the book uses it for the BLEU-by-length comparison.
    """
    if name not in RECORDED:
        raise ValueError(f"no recorded run named {name!r}; choose one of {', '.join(RECORDED)}")
    path = resources.files("bahdanau") / "pretrained" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def recorded_comparison(system: str = "attention", baseline: str = "no-attention") -> dict[str, Any]:
    """The paired bootstrap of ``system`` against ``baseline``, read from ``SYSTEM-vs-BASELINE.json``.

    Recorded pairs (:data:`COMPARISONS`): ``attention`` and ``rnnsearch`` against
    ``no-attention``, and ``rnnsearch`` against ``attention``. Each is written by
    ``python -m bahdanau.cli.evaluate --compare SYSTEM BASELINE --record`` (see
    :func:`bahdanau.cli.evaluate.compare_checkpoints` for its keys): for greedy decoding
    (``test``) and beam search (``test_beam``), each model's BLEU with its 95% interval and
    the difference with its interval and p-value, ``overall`` and ``by_length``.
    :func:`bahdanau.metrics.bleu_by_length_with_intervals` turns ``by_length`` into
    :func:`bahdanau.chapters.plotting.plot_bleu_by_length` input, error bars included.
    """
    if (system, baseline) not in COMPARISONS:
        pairs = ", ".join(f"{a} vs {b}" for a, b in COMPARISONS)
        raise ValueError(f"no recorded comparison of {system!r} with {baseline!r}; recorded: {pairs}")
    path = resources.files("bahdanau") / "pretrained" / f"{system}-vs-{baseline}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def recorded_paper() -> dict[str, Any]:
    """The paper's Figure 2 and Table 1 measured on every shipped model, read from ``paper.json``.

    Cheap (no weights are loaded). Written by ``python -m bahdanau.cli.paper --record`` (see
    :mod:`bahdanau.cli.paper` for its keys): every shipped model, greedy and beam search, on
    the test split of the 30-token models; ``figure2`` holds BLEU with a 95% interval per
    English-length bucket and the paired differences the figure reads, ``table1`` BLEU on all
    test sentences and on those with no unknown word, ``paper_table1`` the paper's own numbers.
    :func:`bahdanau.cli.paper.format_paper` prints it.
    """
    path = resources.files("bahdanau") / "pretrained" / PAPER_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def recorded_seeds() -> dict[str, Any]:
    """How BLEU and the gap between ``rnnsearch`` and ``no-attention`` move with the training seed.

    Cheap (no weights are loaded). Written by ``python -m bahdanau.cli.seeds --record`` (see
    :mod:`bahdanau.cli.seeds` for its keys): the shipped run (seed 0) and the same recipes
    retrained with other seeds, scored on the -10 test split and on chapter 6's test set;
    ``spread[scope][decoding][bucket]`` holds each model's BLEU and the gap, seed by seed, and
    their ranges. Every shipped model is a single run: this is how far another run could land.
    """
    path = resources.files("bahdanau") / "pretrained" / SEEDS_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def load_pretrained(name: str = DEFAULT_MODEL) -> Translator:
    """Load a shipped model as a :class:`Translator`: ``"rnnsearch"`` (the default), ``"attention"`` or
    ``"no-attention"``.

    Raises ``ValueError`` for an unknown name and :class:`~bahdanau.training.CheckpointError`
    when the file is missing, truncated or modified.
    """
    entry = shipped_model(name)
    checkpoint = load_checkpoint(pretrained_path(name))
    return Translator(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, checkpoint.metadata,
                      max_src_len=entry.max_src_len)
