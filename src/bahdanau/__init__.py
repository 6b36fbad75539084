"""bahdanau: sequence-to-sequence translation with additive (Bahdanau) attention.

The package behind the tutorial book. One module per concept:

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
- ``plotting``: attention heatmaps, loss curves, BLEU by sentence length
- ``pretrained``: the shipped models, ``load_pretrained("attention")``
- ``train``, ``evaluate``, ``bench``: the command-line programs (``python -m bahdanau.train`` ...)

Shapes are batch-first everywhere. Letters: B batch, S source length, T target length,
E embedding size, H hidden size, V vocabulary size, L layers.
"""

from .attention import AdditiveAttention, masked_softmax
from .data import DataConfig, Vocab, load_corpus, tokenize
from .decoding import Translation, beam_search, greedy_decode, translate
from .download import fra_eng_path
from .interfaces import AttentionDecoder, Decoder, DecoderState, Encoder, ScoredAttentionDecoder, Seq2Seq
from .metrics import bleu, bleu_by_length, corpus_bleu
from .models import (
    EncoderDecoder,
    ModelConfig,
    Seq2SeqAttentionDecoder,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    make_model,
)
from .plotting import plot_attention, plot_bleu_by_length, plot_history
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
    "ScoredAttentionDecoder",
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
    "plot_attention",
    "plot_history",
    "plot_bleu_by_length",
    "load_pretrained",
    "Translator",
]
