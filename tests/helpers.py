"""Small shared pieces for the training and decoding tests: a toy corpus and tiny trained models.

The corpus is eight made-up English–French pairs. A model with 32 hidden units learns
them by heart in a couple of seconds on a CPU, which is enough to check that training
drives the loss down and that decoding gives back exactly what was learnt.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
import torch

from bahdanau.data import Vocab, make_loader, tokenize
from bahdanau.models import EncoderDecoder, ModelConfig, make_model
from bahdanau.training import fit, set_seed

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS_PATH = ROOT / "book" / "grading" / "solutions.py"


@cache
def load_solutions() -> ModuleType:
    """The reference solutions of the exercises, book/grading/solutions.py (outside the package).

    Loaded once by path and registered as ``bahdanau_solutions`` in sys.modules, so that its
    classes pickle and ``inspect.getsource`` finds them.
    """
    name = "bahdanau_solutions"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


TOY_TEXT = [
    ("Go.", "Va !"),
    ("I won.", "J'ai gagné."),
    ("He runs.", "Il court."),
    ("Help!", "À l'aide !"),
    ("We are happy.", "Nous sommes heureux."),
    ("She is very tall.", "Elle est très grande."),
    ("I like green apples.", "J'aime les pommes vertes."),
    ("They did not come home.", "Ils ne sont pas rentrés."),
]
TOY_PAIRS = [(tokenize(english), tokenize(french)) for english, french in TOY_TEXT]
SRC_VOCAB = Vocab(src for src, _ in TOY_PAIRS)
TGT_VOCAB = Vocab(tgt for _, tgt in TOY_PAIRS)


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread() -> Iterator[None]:
    """Run a test module on one CPU thread.

    For 32-unit models the work per operation is tiny; extra threads only add
    synchronisation, and on a busy machine they made a training step 50x slower.
    Import this fixture into a test module to use it there.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tiny_config(*, attention: bool = True, num_layers: int = 1, bidirectional: bool = False) -> ModelConfig:
    """A 32-unit model for the toy vocabularies, without dropout (so eval equals train)."""
    return ModelConfig(
        src_vocab_size=len(SRC_VOCAB),
        tgt_vocab_size=len(TGT_VOCAB),
        embed_size=32,
        num_hiddens=32,
        num_layers=num_layers,
        dropout=0.0,
        attention=attention,
        bidirectional=bidirectional,
    )


def toy_loader(batch_size: int = len(TOY_PAIRS)):
    """The toy pairs as one padded batch (or several, with a smaller batch size)."""
    return make_loader(TOY_PAIRS, SRC_VOCAB, TGT_VOCAB, batch_size=batch_size)


def untrained_model(*, seed: int = 0, **config_options) -> EncoderDecoder:
    """A freshly initialised tiny model (reproducible through ``seed``)."""
    set_seed(seed)
    return make_model(tiny_config(**config_options))


@cache
def overfit_model(*, attention: bool, num_layers: int = 1) -> tuple[EncoderDecoder, list[float]]:
    """A tiny model trained on the toy batch until it knows it by heart, and its loss per epoch.

    Cached: the tests that need a trained model share one per kind. They must not change it.
    """
    model = untrained_model(attention=attention, num_layers=num_layers)
    history = fit(
        model,
        toy_loader(),
        epochs=60,
        lr=0.02,
        pad_index=TGT_VOCAB.pad,
        device="cpu",
        progress=False,
    )
    model.eval()
    return model, history.train_loss


def teacher_forced_log_prob(model: EncoderDecoder, src_words: list[str], tgt_ids: list[int]) -> float:
    """log p(tgt_ids | src) computed in one teacher-forced pass (to check decoders' scores)."""
    src = torch.tensor([SRC_VOCAB.encode(src_words) + [SRC_VOCAB.eos]])  # (1, S)
    src_valid_len = torch.tensor([src.shape[1]])
    tgt_in = torch.tensor([[TGT_VOCAB.bos] + tgt_ids[:-1]])  # (1, T)
    with torch.no_grad():
        log_probs = torch.log_softmax(model(src, tgt_in, src_valid_len), dim=-1)  # (1, T, V)
    return float(log_probs[0, torch.arange(len(tgt_ids)), torch.tensor(tgt_ids)].sum())


@cache
def overfit_lstm_model() -> EncoderDecoder:
    """The LSTM attention decoder of the exercises (a learner's class: it inherits from nothing of
    the package's), with the package's encoder, trained on the toy batch until it knows it by heart."""
    from bahdanau.models import Seq2SeqEncoder

    LSTMAttentionDecoder = load_solutions().LSTMAttentionDecoder

    set_seed(0)
    model = EncoderDecoder(Seq2SeqEncoder(len(SRC_VOCAB), 32, 32, 1), LSTMAttentionDecoder(len(TGT_VOCAB), 32, 32, 1))
    fit(model, toy_loader(), epochs=80, lr=0.02, pad_index=TGT_VOCAB.pad, device="cpu", progress=False)
    return model.eval()
