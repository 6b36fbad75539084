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
"""

from .attention import AdditiveAttention, masked_softmax
from .data import DataConfig, Vocab, load_corpus, tokenize
from .decoding import Translation, beam_search, greedy_decode, translate
from .download import fra_eng_path
from .interfaces import AttentionDecoder, Decoder, DecoderState, DecoderStep, Encoder, Seq2Seq
from .metrics import bleu, bleu_by_length, corpus_bleu
from .models import (
    EncoderDecoder,
    ModelConfig,
    Seq2SeqAttentionDecoder,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    make_model,
)
from .pretrained import Translator, load_pretrained
from .training import fit, load_checkpoint, save_checkpoint, sequence_loss

__version__ = "0.1.0"

__all__ = [
    "AdditiveAttention",
    "masked_softmax",
    "DataConfig",
    "Vocab",
    "fra_eng_path",
    "load_corpus",
    "tokenize",
    "Encoder",
    "Decoder",
    "DecoderState",
    "AttentionDecoder",
    "DecoderStep",
    "Seq2Seq",
    "Seq2SeqEncoder",
    "Seq2SeqDecoder",
    "Seq2SeqAttentionDecoder",
    "EncoderDecoder",
    "ModelConfig",
    "make_model",
    "sequence_loss",
    "fit",
    "save_checkpoint",
    "load_checkpoint",
    "Translation",
    "greedy_decode",
    "beam_search",
    "translate",
    "bleu",
    "corpus_bleu",
    "bleu_by_length",
    "load_pretrained",
    "Translator",
]
