"""Training: the loss with padding ignored, the fit loop, and checkpoints.

Three pieces, each usable on its own:

1. :func:`sequence_loss` is cross-entropy averaged over the *real* target
   tokens of a padded batch: a padded position must neither add to the loss
   nor dilute the mean (a batch with more padding would otherwise look
   better).
2. :func:`fit` is a small trainer that knows nothing about the model beyond
   its call ``model(src, tgt_in, src_valid_len) -> logits``: Adam,
   gradient-norm clipping, a progress bar, and an ``on_epoch_end`` callback
   that keeps logging and plotting out of the loop. :func:`evaluate_loss` is
   its validation pass.
3. :func:`save_checkpoint` / :func:`load_checkpoint` write and read one
   ``.pt`` file that ``torch.load(path, weights_only=True)`` can open:
   tensors, strings and numbers only, no pickled Python objects, so loading a
   file from the internet cannot run code. The vocabularies, the model's
   configuration and free metadata travel as JSON, and a SHA-256 over the
   weights catches a modified file.

Shapes: B batch, S source length, T target length, V target vocabulary size.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from .data import Batch, Vocab
from .models import EncoderDecoder, ModelConfig, make_model
from .runtime import inference_mode, model_device

__all__ = [
    "sequence_loss",
    "set_seed",
    "default_device",
    "History",
    "fit",
    "evaluate_loss",
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "CheckpointError",
    "Checkpoint",
    "state_dict_sha256",
    "save_checkpoint",
    "load_checkpoint",
    "read_checkpoint_metadata",
]


# ----------------------------------------------------------------------------------------------
# 1. The loss
# ----------------------------------------------------------------------------------------------


def sequence_loss(logits: Tensor, tgt_out: Tensor, pad_index: int) -> Tensor:
    """Mean cross-entropy per real (non-pad) target token::

        loss = -(1/N) * sum over b, t with tgt_out[b, t] != pad of
                        log softmax(logits[b, t])[tgt_out[b, t]]

    N the number of non-pad targets. Positions whose target is ``pad_index``
    are ignored, whatever their logits. (d2l masks with ``tgt_valid_len``
    instead; the two agree because ``tgt_out`` is padded exactly beyond its
    valid length.)

    Args:
        logits: (B, T, V) the decoder's scores for every target position.
        tgt_out: (B, T) the tokens to predict, right-padded with
            ``pad_index``.
        pad_index: the ``<pad>`` index of the target vocabulary.

    Returns:
        A 0-d tensor; 0 when the batch has no real target token at all.
    """
    if logits.shape[:-1] != tgt_out.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} do not match tgt_out "
            f"{tuple(tgt_out.shape)}: expected (B, T, V) and (B, T)"
        )
    vocab_size = logits.shape[-1]
    summed = F.cross_entropy(
        logits.reshape(-1, vocab_size),  # (B*T, V)
        tgt_out.reshape(-1),  # (B*T,)
        ignore_index=pad_index,
        reduction="sum",
    )
    num_tokens = (tgt_out != pad_index).sum()
    return summed / num_tokens.clamp(min=1)


# ----------------------------------------------------------------------------------------------
# 2. The fit loop
# ----------------------------------------------------------------------------------------------


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and every GPU) random generators.

    Call it *before* :func:`~bahdanau.models.make_model` to make the initial
    weights reproducible. On a GPU some kernels stay nondeterministic, so runs
    agree closely but not always to the last bit.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def default_device() -> torch.device:
    """The first CUDA GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class History:
    """What :func:`fit` measured, one entry per finished epoch.

    Attributes:
        train_loss: token-weighted mean training loss of each epoch, measured on the
            fly while the weights were changing (and with dropout on), so it is a
            little pessimistic compared to :func:`evaluate_loss` on the same data.
        val_loss: token-weighted mean validation loss after each epoch; empty when
            ``fit`` had no ``val_loader``.
        epoch_seconds: wall-clock time of each epoch, validation included.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        """The three lists as a JSON-friendly dict (e.g. for checkpoint metadata)."""
        return asdict(self)


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    val_loader: Iterable[Batch] | None = None,
    *,
    epochs: int,
    lr: float,
    lr_decay: float = 1.0,
    grad_clip: float | None = 1.0,
    pad_index: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` with teacher forcing and return the loss curves.

    Each step feeds ``tgt_in`` (``<bos>`` + the reference) to the decoder, asks it
    to predict ``tgt_out`` (the reference + ``<eos>``), and takes an Adam step on
    :func:`sequence_loss`. Before the step the gradient's global norm is clipped to
    ``grad_clip``: recurrent networks occasionally produce one huge gradient that
    would undo many steps of progress.

    Args:
        model: called as ``model(src, tgt_in, src_valid_len)``, returning logits
            (B, T, V), like :class:`~bahdanau.models.EncoderDecoder`.
        train_loader, val_loader: iterables of :class:`~bahdanau.data.Batch`
            (e.g. from :func:`~bahdanau.data.make_loader`). Batch fields are read
            by name, so their order never matters.
        epochs: passes over ``train_loader``.
        lr: Adam's learning rate.
        lr_decay: after every epoch the learning rate is multiplied by this
            (epoch e uses ``lr * lr_decay ** (e - 1)``); smaller steps late in training
            settle the weights. 1.0 keeps it constant.
        grad_clip: maximal gradient norm; ``None`` or 0 turns clipping off.
        pad_index: the ``<pad>`` index of the target vocabulary (ignored by the loss).
        seed: passed to :func:`set_seed` first, so dropout draws are reproducible.
            The initial weights were drawn earlier, by ``make_model``.
        device: where to train; ``None`` means :func:`default_device` (CUDA when
            available). The model is moved there.
        progress: show one tqdm bar over all batches, with the epoch's running
            loss in its postfix.
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` after each epoch,
            ``epoch`` counting from 1; ``history`` already holds that epoch's numbers.

    Returns:
        The :class:`History` of the run.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    set_seed(seed)
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    step = functools.partial(_train_step, model, optimizer, pad_index=pad_index, grad_clip=grad_clip, device=device)
    history = History()
    with tqdm(total=_total_batches(train_loader, epochs), disable=not progress, unit="batch") as bar:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            bar.set_description(f"epoch {epoch}/{epochs}")
            model.train()
            history.train_loss.append(_train_epoch(step, train_loader, bar, epoch=epoch, lr=lr, grad_clip=grad_clip))
            if val_loader is not None:
                history.val_loss.append(evaluate_loss(model, val_loader, pad_index=pad_index))
                bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", val_loss=f"{history.val_loss[-1]:.4f}")
            history.epoch_seconds.append(time.perf_counter() - started)
            for group in optimizer.param_groups:
                group["lr"] *= lr_decay
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
    return history


def _total_batches(train_loader: Iterable[Batch], epochs: int) -> int | None:
    """Batches in the whole run, for the progress bar; None for a loader without a length."""
    try:
        return len(train_loader) * epochs  # type: ignore[arg-type]
    except TypeError:
        return None


def _train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    *,
    pad_index: int,
    grad_clip: float | None,
    device: torch.device,
) -> tuple[float, int]:
    """One Adam step on one batch; returns the batch's summed loss and its number of real target tokens."""
    tgt_out = batch.tgt_out.to(device)  # (B, T)
    logits = model(batch.src.to(device), batch.tgt_in.to(device), batch.src_valid_len.to(device))  # (B, T, V)
    loss = sequence_loss(logits, tgt_out, pad_index)  # mean over the batch's real tokens
    num_tokens = int((tgt_out != pad_index).sum())
    # Stop before a NaN or inf reaches the weights: every later step would be wasted.
    if not math.isfinite(loss_value := loss.item()):
        raise FloatingPointError(f"the training loss became {loss_value}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss_value * num_tokens, num_tokens


def _train_epoch(step: Callable[[Batch], tuple[float, int]], train_loader: Iterable[Batch], bar: tqdm, *,
                 epoch: int, lr: float, grad_clip: float | None) -> float:
    """One pass over ``train_loader`` with ``step``; returns the token-weighted mean training loss."""
    loss_sum, token_count = 0.0, 0
    for batch in train_loader:
        try:
            batch_loss_sum, num_tokens = step(batch)
        except FloatingPointError as error:
            raise FloatingPointError(
                f"{error} in epoch {epoch}; "
                f"try a smaller learning rate (lr={lr}) or gradient clipping (grad_clip={grad_clip})"
            ) from None
        loss_sum += batch_loss_sum
        token_count += num_tokens
        # refresh=False: the bar redraws at its own pace, not after every batch.
        bar.set_postfix(loss=f"{loss_sum / max(token_count, 1):.4f}", refresh=False)
        bar.update(1)
    if token_count == 0:
        raise ValueError("train_loader produced no target tokens (is it empty?)")
    return loss_sum / token_count


def evaluate_loss(
    model: nn.Module,
    loader: Iterable[Batch],
    *,
    pad_index: int,
    device: torch.device | str | None = None,
) -> float:
    """Mean cross-entropy per real target token over a whole loader.

    Token-weighted: every non-pad token counts once, so a batch of long sentences
    weighs more than a batch of short ones (averaging per-batch means would not).
    Runs under ``torch.no_grad()`` in eval mode (no dropout) and puts the model
    back in the mode it was in.

    Args:
        device: where to run; ``None`` means wherever the model already is.
            Otherwise the model is moved there.
    """
    if device is not None:
        model.to(device)
    device = model_device(model)
    loss_sum, token_count = 0.0, 0
    with inference_mode(model):
        for batch in loader:
            tgt_out = batch.tgt_out.to(device)  # (B, T)
            logits = model(batch.src.to(device), batch.tgt_in.to(device), batch.src_valid_len.to(device))  # (B, T, V)
            num_tokens = int((tgt_out != pad_index).sum())
            loss_sum += sequence_loss(logits, tgt_out, pad_index).item() * num_tokens
            token_count += num_tokens
    if token_count == 0:
        raise ValueError("the loader produced no target tokens (is it empty?)")
    return loss_sum / token_count


# ----------------------------------------------------------------------------------------------
# 3. Checkpoints
# ----------------------------------------------------------------------------------------------

CHECKPOINT_FORMAT = "bahdanau-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, of another format, modified, or does not fit its config."""


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns.

    Attributes:
        model: the rebuilt model, float32, in eval mode.
        model_config: the :class:`~bahdanau.models.ModelConfig` it was built from.
        src_vocab, tgt_vocab: the English and French vocabularies it was trained with.
        metadata: the free dict given to :func:`save_checkpoint` (corpus hash, metrics, ...).
        weights_sha256: :func:`state_dict_sha256` of the stored weights (verified on load).
    """

    model: EncoderDecoder
    model_config: ModelConfig
    src_vocab: Vocab
    tgt_vocab: Vocab
    metadata: dict[str, Any]
    weights_sha256: str


def state_dict_sha256(state_dict: dict[str, Tensor]) -> str:
    """SHA-256 over a state dict: for each name in sorted order, the name, dtype, shape and raw bytes.

    The same weights give the same digest whatever the dict's order or the device
    they sit on. A float16 copy has a different digest than the float32 original:
    the digest is of what is stored.
    """
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        # dtype and shape fix how many bytes follow, so no two dicts can hash the same stream.
        digest.update(f"{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _state_dict_problems(state_dict: dict[str, Tensor], config: ModelConfig) -> list[str]:
    """How ``state_dict`` differs from a model built by ``make_model(config)`` (empty if it fits)."""
    # A real model, its random initialisation drawn from a forked generator: the caller's random
    # numbers stay as they were (a notebook's next draw does not depend on this check). Not the
    # meta device: its first random initialisation imports torch._dynamo, 1.6 s in every process
    # that loads a checkpoint, against a few milliseconds for these weights.
    with torch.random.fork_rng(devices=[]):
        expected = make_model(config).state_dict()
    problems = []
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    for name in sorted(set(expected) & set(state_dict)):
        if tuple(state_dict[name].shape) != tuple(expected[name].shape):
            problems.append(
                f"{name} has shape {tuple(state_dict[name].shape)}, the config needs {tuple(expected[name].shape)}"
            )
    return problems


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    model_config: ModelConfig,
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    metadata: dict[str, Any] | None = None,
    *,
    half: bool = False,
) -> str:
    """Write ``model`` and everything needed to use it to one ``.pt`` file.

    The file holds a dict of plain types only::

        {"format": "bahdanau-checkpoint", "version": 1,
         "state_dict": {name: tensor},            # float16 floats when half=True
         "metadata_json": "{...}"}               # a JSON string, see below

    ``metadata_json`` has ``model_config`` (:meth:`ModelConfig.to_dict`), ``src_vocab``
    and ``tgt_vocab`` (the parsed :meth:`Vocab.to_json` documents), ``metadata``
    (the free dict given here; must be JSON-serialisable), ``half``, and
    ``weights_sha256`` (:func:`state_dict_sha256` of the stored ``state_dict``).

    ``half=True`` stores floating-point tensors as float16, halving the file;
    :func:`load_checkpoint` turns them back into float32 (predictions change by
    about 1e-3 relative). The file is written to a temporary name and renamed, so
    an interrupted save never leaves a half-written checkpoint at ``path``.

    Returns:
        The weights' SHA-256 (as stored in the file).

    Raises:
        ValueError: the model does not match ``model_config``, or the vocabulary
            sizes differ from the config's.
        TypeError: ``metadata`` is not JSON-serialisable.
    """
    path = Path(path)
    if len(src_vocab) != model_config.src_vocab_size or len(tgt_vocab) != model_config.tgt_vocab_size:
        raise ValueError(
            f"vocabulary sizes ({len(src_vocab)}, {len(tgt_vocab)}) differ from the config's "
            f"(src_vocab_size={model_config.src_vocab_size}, tgt_vocab_size={model_config.tgt_vocab_size})"
        )
    state_dict = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if half and tensor.is_floating_point():
            tensor = tensor.half()
        # clone(): a saved view would drag its whole underlying storage into the file.
        state_dict[name] = tensor.contiguous().clone()
    problems = _state_dict_problems(state_dict, model_config)
    if problems:
        raise ValueError("the model does not match model_config: " + "; ".join(problems))
    weights_sha256 = state_dict_sha256(state_dict)
    document = {
        "model_config": model_config.to_dict(),
        "src_vocab": json.loads(src_vocab.to_json()),
        "tgt_vocab": json.loads(tgt_vocab.to_json()),
        "metadata": metadata if metadata is not None else {},
        "half": half,
        "weights_sha256": weights_sha256,
    }
    try:
        metadata_json = json.dumps(document, ensure_ascii=False)
    except TypeError as error:
        raise TypeError(f"checkpoint metadata must be JSON-serialisable: {error}") from error
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "state_dict": state_dict,
        "metadata_json": metadata_json,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    file_descriptor, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(file_descriptor)
    try:
        torch.save(payload, temporary_name)
        os.replace(temporary_name, path)
    finally:
        Path(temporary_name).unlink(missing_ok=True)
    return weights_sha256


def _read_payload(path: Path, map_location: Any) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Open a checkpoint file, check its format, and return its state dict and parsed metadata."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for a bad file
        raise CheckpointError(
            f"cannot read checkpoint {path}: the file is truncated, corrupt or not a PyTorch file "
            f"({type(error).__name__}: {error})"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(
            f"{path} is not a bahdanau checkpoint (expected format {CHECKPOINT_FORMAT!r}, found {found!r})"
        )
    if payload.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {payload.get('version')!r}; this code reads version {CHECKPOINT_VERSION}"
        )
    state_dict = payload.get("state_dict")
    if not isinstance(state_dict, dict) or not all(isinstance(t, Tensor) for t in state_dict.values()):
        raise CheckpointError(f"{path} has no valid 'state_dict' (a dict of tensors)")
    try:
        document = json.loads(payload.get("metadata_json"))
    except (TypeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path} has no valid 'metadata_json' ({error})") from error
    required = ("model_config", "src_vocab", "tgt_vocab", "metadata", "weights_sha256")
    if not isinstance(document, dict) or any(key not in document for key in required):
        raise CheckpointError(f"{path}: 'metadata_json' must be an object with the keys {', '.join(required)}")
    return state_dict, document


def read_checkpoint_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``metadata_json`` of a checkpoint, without building the model.

    Keys: ``model_config``, ``src_vocab``, ``tgt_vocab`` (Vocab JSON documents),
    ``metadata`` (the free dict), ``half``, ``weights_sha256``. The format is
    checked; the weights are not (use :func:`load_checkpoint` for that).

    Raises:
        CheckpointError: as :func:`load_checkpoint` for a missing, unreadable or foreign file.
    """
    _, document = _read_payload(Path(path), "cpu")
    return document


def load_checkpoint(
    path: str | os.PathLike[str],
    map_location: str | torch.device = "cpu",
) -> Checkpoint:
    """Rebuild the model and vocabularies saved by :func:`save_checkpoint`.

    The file is opened with ``torch.load(..., weights_only=True)``, so it can hold
    no code. Then, in order: the format and version are checked, the weights'
    SHA-256 is recomputed and compared with the recorded one, the config and the
    vocabularies are parsed, and the state dict is compared key by key and shape
    by shape with a model built from the config. The model comes back in float32
    (also from a ``half=True`` file), in eval mode, on ``map_location``.

    Raises:
        CheckpointError: the file is missing, truncated or corrupt, not a bahdanau
            checkpoint, its weights were modified (hash mismatch), or its weights
            do not fit its config (the message lists the missing and unexpected
            keys and the wrong shapes). The message always names the file.
    """
    path = Path(path)
    state_dict, document = _read_payload(path, "cpu")
    recorded = document["weights_sha256"]
    actual = state_dict_sha256(state_dict)
    if actual != recorded:
        raise CheckpointError(
            f"{path}: the weights' SHA-256 is {actual}, but the file records {recorded}; "
            "the file was modified or damaged after it was saved"
        )
    try:
        model_config = ModelConfig(**document["model_config"])
    except TypeError as error:
        raise CheckpointError(f"{path}: invalid model_config {document['model_config']!r} ({error})") from error
    try:
        src_vocab = Vocab.from_json(json.dumps(document["src_vocab"]))
        tgt_vocab = Vocab.from_json(json.dumps(document["tgt_vocab"]))
    except ValueError as error:
        raise CheckpointError(f"{path}: invalid vocabulary ({error})") from error
    if len(src_vocab) != model_config.src_vocab_size or len(tgt_vocab) != model_config.tgt_vocab_size:
        raise CheckpointError(
            f"{path}: vocabulary sizes ({len(src_vocab)}, {len(tgt_vocab)}) differ from the config's "
            f"(src_vocab_size={model_config.src_vocab_size}, tgt_vocab_size={model_config.tgt_vocab_size})"
        )
    problems = _state_dict_problems(state_dict, model_config)
    if problems:
        raise CheckpointError(f"{path}: the weights do not match the model config: " + "; ".join(problems))
    model = make_model(model_config)
    # load_state_dict copies into the float32 parameters, so float16 weights come back as float32.
    model.load_state_dict(state_dict)
    model.to(map_location)
    model.eval()
    metadata = document["metadata"]
    return Checkpoint(model, model_config, src_vocab, tgt_vocab, metadata, recorded)
