"""bahdanau: sequence-to-sequence translation with additive (Bahdanau) attention.

The package behind the tutorial book, in three layers; imports go only downwards
(tests/test_imports.py checks it):

1. **The model core**, the modules at the top (one per concept, what a learner reads):

- ``data``: the fra-eng corpus (download, preprocessing, vocabularies, splits, batches)
- ``interfaces``: the declared contracts (``typing.Protocol``): encoder, decoder, state,
  attention decoder; decoding and the widgets rely on these, not on concrete classes
- ``attention``: masked softmax and additive attention
- ``models``: encoder, decoders (with and without attention), encoder–decoder
- ``training``: the loss that ignores padding, the fit loop, checkpoints
- ``runtime``: where a model runs, and eval mode without gradients for inference
- ``decoding``: greedy and beam search, ``translate``
- ``alignment``: forced alignment (``Translator.align``) and its scores against gold links
- ``metrics``: d2l's per-sentence BLEU and sacreBLEU's corpus BLEU
- ``pretrained``: the registry of shipped models and ``load_pretrained(name)``

2. **The book's helpers**, which use the core: ``bahdanau.chapters`` (``plotting``: heatmaps
   and curves; ``diagrams``; ``interactive``: the notebook widgets; ``probing``: chapter 1's
   experiment) and ``bahdanau.exercises`` (the exercises' checkers).
3. **The programs**, ``bahdanau.cli``: ``train``, ``evaluate``, ``bench`` and ``export_web``
   (``python -m bahdanau.cli.train --preset rnnsearch`` ...).

Shapes are batch-first everywhere. Letters: B batch, S source length, T target length,
E embedding size, H hidden size, V vocabulary size, L layers.

The public names load on first use (``bahdanau.Translator`` imports ``bahdanau.pretrained``
then), so that the Otter-Grader plugin, ``bahdanau.exercises.guard``, loads without PyTorch.
"""

from __future__ import annotations

from ._lazy import lazy_names

__version__ = "0.1.0"

# Where each public name comes from: {name: submodule}, in the order of __all__. Nothing is
# imported here (bahdanau._lazy says why): a name imports its submodule when first used.
_SOURCES: dict[str, str] = {
    "AdditiveAttention": "attention",
    "masked_softmax": "attention",
    "DataConfig": "data",
    "Vocab": "data",
    "fra_eng_path": "download",
    "load_corpus": "data",
    "tokenize": "data",
    "Encoder": "interfaces",
    "Decoder": "interfaces",
    "DecoderState": "interfaces",
    "AttentionDecoder": "interfaces",
    "DecoderStep": "interfaces",
    "Seq2Seq": "interfaces",
    "Seq2SeqEncoder": "models",
    "Seq2SeqDecoder": "models",
    "Seq2SeqAttentionDecoder": "models",
    "EncoderDecoder": "models",
    "ModelConfig": "models",
    "make_model": "models",
    "sequence_loss": "training",
    "fit": "training",
    "save_checkpoint": "training",
    "load_checkpoint": "training",
    "Translation": "decoding",
    "greedy_decode": "decoding",
    "beam_search": "decoding",
    "translate": "decoding",
    "bleu": "metrics",
    "corpus_bleu": "metrics",
    "bleu_by_length": "metrics",
    "load_pretrained": "pretrained",
    "Translator": "pretrained",
}

__all__ = list(_SOURCES)

__getattr__, __dir__ = lazy_names(__name__, __path__, _SOURCES, globals())
