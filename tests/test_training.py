"""Tests for bahdanau.training: the padded loss, the fit loop, and checkpoints."""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys

import pytest
import torch
from helpers import (  # noqa: F401  (one_cpu_thread is an autouse fixture)
    SRC_VOCAB,
    TGT_VOCAB,
    one_cpu_thread,
    overfit_model,
    tiny_config,
    toy_loader,
    untrained_model,
)

from bahdanau.models import make_model
from bahdanau.training import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    CheckpointError,
    History,
    default_device,
    evaluate_loss,
    fit,
    load_checkpoint,
    read_checkpoint_metadata,
    save_checkpoint,
    sequence_loss,
    set_seed,
    state_dict_sha256,
)

PAD = TGT_VOCAB.pad


# ----------------------------------------------------------------------------------------------
# sequence_loss
# ----------------------------------------------------------------------------------------------


def test_sequence_loss_equals_a_hand_computation():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5)  # (B, T, V)
    tgt_out = torch.tensor([[4, 2, PAD], [1, 3, 2]])  # row 0 has one padded position
    expected_terms = []
    for b in range(2):
        for t in range(3):
            target = int(tgt_out[b, t])
            if target == PAD:
                continue
            row = logits[b, t].tolist()
            log_sum_exp = math.log(sum(math.exp(x) for x in row))
            expected_terms.append(log_sum_exp - row[target])
    expected = sum(expected_terms) / len(expected_terms)  # 5 real tokens
    assert len(expected_terms) == 5
    assert sequence_loss(logits, tgt_out, PAD).item() == pytest.approx(expected, rel=1e-6)


def test_sequence_loss_ignores_logits_at_padded_positions():
    torch.manual_seed(1)
    logits = torch.randn(3, 4, 6)
    tgt_out = torch.tensor([[5, 2, PAD, PAD], [4, 4, 3, 2], [2, PAD, PAD, PAD]])
    changed = logits.clone()
    changed[tgt_out == PAD] = torch.randn(int((tgt_out == PAD).sum()), 6) * 100
    assert torch.equal(sequence_loss(logits, tgt_out, PAD), sequence_loss(changed, tgt_out, PAD))
    # ... while changing a real position does change it.
    changed[1, 0, 4] += 5.0  # the logit of that position's target
    assert sequence_loss(changed, tgt_out, PAD) != sequence_loss(logits, tgt_out, PAD)


def test_sequence_loss_does_not_depend_on_extra_padding():
    torch.manual_seed(2)
    logits = torch.randn(1, 3, 5)
    tgt_out = torch.tensor([[3, 4, 2]])
    padded_logits = torch.cat((logits, torch.randn(1, 4, 5)), dim=1)  # (1, 7, 5)
    padded_tgt = torch.cat((tgt_out, torch.full((1, 4), PAD)), dim=1)
    expected = sequence_loss(logits, tgt_out, PAD).item()
    assert sequence_loss(padded_logits, padded_tgt, PAD).item() == pytest.approx(expected)


def test_sequence_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(B, T, V\)"):
        sequence_loss(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long), PAD)


# ----------------------------------------------------------------------------------------------
# fit, evaluate_loss, seeds, devices
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attention", [True, False])
def test_fit_overfits_one_batch(attention):
    _, train_loss = overfit_model(attention=attention)
    assert train_loss[-1] < 0.05
    assert train_loss[-1] < train_loss[0] / 50
    # Mostly downhill: Adam may bump up now and then, but never for long.
    assert sum(later < earlier for earlier, later in zip(train_loss, train_loss[1:])) > 0.8 * (len(train_loss) - 1)


def test_fit_reports_validation_loss_and_calls_back_each_epoch():
    model = untrained_model(num_layers=2)
    calls = []
    history = fit(
        model,
        toy_loader(batch_size=3),
        toy_loader(batch_size=8),
        epochs=3,
        lr=0.01,
        pad_index=PAD,
        device="cpu",
        progress=False,
        on_epoch_end=lambda epoch, history: calls.append((epoch, len(history.train_loss), len(history.val_loss))),
    )
    assert isinstance(history, History)
    assert calls == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]
    assert len(history.epoch_seconds) == 3 and all(seconds > 0 for seconds in history.epoch_seconds)
    assert history.val_loss[-1] < history.val_loss[0]
    # The last validation loss is measured with the final weights.
    assert history.val_loss[-1] == pytest.approx(evaluate_loss(model, toy_loader(), pad_index=PAD))
    assert json.loads(json.dumps(history.to_dict()))["train_loss"] == history.train_loss


def test_fit_without_validation_and_with_progress_bar(capsys):
    history = fit(untrained_model(), toy_loader(), epochs=2, lr=0.01, pad_index=PAD, device="cpu", progress=True)
    assert len(history.train_loss) == 2 and history.val_loss == []
    assert "epoch 2/2" in capsys.readouterr().err  # tqdm writes to stderr


def test_fit_is_reproducible_with_the_same_seeds():
    options = dict(epochs=2, lr=0.01, pad_index=PAD, device="cpu", progress=False, seed=7)
    runs = [fit(untrained_model(seed=3), toy_loader(batch_size=4), **options) for _ in range(2)]
    assert runs[0].train_loss == runs[1].train_loss


def test_lr_decay_scales_the_learning_rate_after_each_epoch():
    """With lr_decay=0 the second epoch takes zero-size steps: the weights stay where epoch 1 left them."""
    options = dict(lr=0.01, pad_index=PAD, device="cpu", progress=False, seed=7)
    one_epoch, two_epochs = untrained_model(seed=3), untrained_model(seed=3)
    fit(one_epoch, toy_loader(batch_size=4), epochs=1, **options)
    fit(two_epochs, toy_loader(batch_size=4), epochs=2, lr_decay=0.0, **options)
    for a, b in zip(one_epoch.parameters(), two_epochs.parameters()):
        assert torch.equal(a, b)
    moved = untrained_model(seed=3)
    fit(moved, toy_loader(batch_size=4), epochs=2, lr_decay=0.5, **options)
    assert any(not torch.equal(a, b) for a, b in zip(one_epoch.parameters(), moved.parameters()))


def test_evaluate_loss_is_token_weighted_and_restores_the_mode():
    model = untrained_model()
    model.train()
    whole = evaluate_loss(model, toy_loader(batch_size=8), pad_index=PAD)
    # Batches of different sizes and lengths: a mean of batch means would differ.
    in_pieces = evaluate_loss(model, toy_loader(batch_size=3), pad_index=PAD)
    assert in_pieces == pytest.approx(whole, rel=1e-6)
    assert model.training


def test_set_seed_makes_models_reproducible():
    set_seed(11)
    first = make_model(tiny_config())
    set_seed(11)
    second = make_model(tiny_config())
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))


def test_default_device_follows_cuda_availability(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device() == torch.device("cuda")


# ----------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------


def _logits(model, batch):
    with torch.no_grad():
        return model.eval()(batch.src, batch.tgt_in, batch.src_valid_len)  # (B, T, V)


@pytest.mark.parametrize(
    "options", [dict(attention=True), dict(attention=False, num_layers=2), dict(bidirectional=True)]
)
def test_checkpoint_round_trip_gives_identical_logits(tmp_path, options):
    model = untrained_model(**options)
    config = tiny_config(**options)
    path = tmp_path / "model.pt"
    metadata = {"corpus_sha256": "ab" * 32, "bleu": 12.5, "notes": ["toy", "ünïcode"]}
    digest = save_checkpoint(path, model, config, SRC_VOCAB, TGT_VOCAB, metadata)

    checkpoint = load_checkpoint(path)
    assert isinstance(checkpoint, Checkpoint)
    assert checkpoint.model_config == config
    assert checkpoint.src_vocab == SRC_VOCAB and checkpoint.tgt_vocab == TGT_VOCAB
    assert checkpoint.metadata == metadata
    assert checkpoint.weights_sha256 == digest == state_dict_sha256(model.state_dict())
    assert not checkpoint.model.training
    batch = next(iter(toy_loader()))
    assert torch.equal(_logits(checkpoint.model, batch), _logits(model, batch))


def test_saving_draws_no_random_numbers_and_loading_draws_one_initialisation(tmp_path):
    """The chapters' stored outputs depend on the random numbers left after a load: checking the
    file against its config draws none (saving draws none), building the model draws its
    initialisation once, as make_model does."""
    path, model = tmp_path / "model.pt", untrained_model()
    torch.manual_seed(5)
    save_checkpoint(path, model, tiny_config(), SRC_VOCAB, TGT_VOCAB, {})
    after_save = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(after_save, torch.rand(3))

    torch.manual_seed(7)
    load_checkpoint(path)
    after_load = torch.rand(3)
    torch.manual_seed(7)
    make_model(tiny_config())
    assert torch.equal(after_load, torch.rand(3))


def test_loading_a_checkpoint_does_not_import_dynamo(tmp_path):
    """Each notebook kernel, grader and command that loads a model would pay 1.6 s for it: a model
    built on the meta device imports torch._dynamo at its first random initialisation."""
    path = tmp_path / "model.pt"
    save_checkpoint(path, untrained_model(), tiny_config(), SRC_VOCAB, TGT_VOCAB, {})
    code = ("import sys\nfrom bahdanau.training import load_checkpoint\n"
            f"load_checkpoint({str(path)!r})\nprint('torch._dynamo' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False"]


def test_checkpoint_is_plain_data_for_weights_only_loading(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, untrained_model(), tiny_config(), SRC_VOCAB, TGT_VOCAB, {"epochs": 3})
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == CHECKPOINT_FORMAT and payload["version"] == 1
    assert all(isinstance(tensor, torch.Tensor) for tensor in payload["state_dict"].values())
    document = json.loads(payload["metadata_json"])
    assert document["model_config"] == tiny_config().to_dict()
    assert document["src_vocab"]["idx_to_token"] == SRC_VOCAB.idx_to_token
    assert document["weights_sha256"] == state_dict_sha256(payload["state_dict"])
    assert read_checkpoint_metadata(path)["metadata"] == {"epochs": 3}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_half_checkpoint_is_smaller_and_close(tmp_path):
    model = untrained_model()
    full, half = tmp_path / "full.pt", tmp_path / "half.pt"
    save_checkpoint(full, model, tiny_config(), SRC_VOCAB, TGT_VOCAB, {})
    save_checkpoint(half, model, tiny_config(), SRC_VOCAB, TGT_VOCAB, {}, half=True)
    assert half.stat().st_size < 0.7 * full.stat().st_size
    assert all(t.dtype == torch.float16 for t in torch.load(half, weights_only=True)["state_dict"].values())

    reloaded = load_checkpoint(half).model
    assert all(p.dtype == torch.float32 for p in reloaded.parameters())
    batch = next(iter(toy_loader()))
    torch.testing.assert_close(_logits(reloaded, batch), _logits(model, batch), atol=2e-2, rtol=1e-2)


def test_save_rejects_a_model_that_does_not_fit_its_config(tmp_path):
    model = untrained_model()
    wrong = tiny_config()
    wrong.num_hiddens = 16
    with pytest.raises(ValueError, match="does not match model_config"):
        save_checkpoint(tmp_path / "model.pt", model, wrong, SRC_VOCAB, TGT_VOCAB, {})
    with pytest.raises(TypeError, match="JSON"):
        save_checkpoint(tmp_path / "model.pt", model, tiny_config(), SRC_VOCAB, TGT_VOCAB, {"vocab": SRC_VOCAB})
    assert not (tmp_path / "model.pt").exists()


@pytest.fixture
def saved(tmp_path):
    """A valid checkpoint file of an untrained tiny model."""
    path = tmp_path / "good.pt"
    save_checkpoint(path, untrained_model(), tiny_config(), SRC_VOCAB, TGT_VOCAB, {"epochs": 1})
    return path


def test_load_rejects_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.pt"
    with pytest.raises(CheckpointError, match="not found") as error:
        load_checkpoint(path)
    assert str(path) in str(error.value)
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint_metadata(path)


def test_load_rejects_a_truncated_file(saved, tmp_path):
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated, corrupt") as error:
        load_checkpoint(truncated)
    assert str(truncated) in str(error.value)
    assert error.value.__cause__ is not None  # torch's own error is kept for debugging


def test_load_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    text_file = tmp_path / "notes.pt"
    text_file.write_text("hello")
    with pytest.raises(CheckpointError, match="truncated, corrupt"):
        load_checkpoint(text_file)
    bare_state_dict = tmp_path / "state_dict.pt"
    torch.save(untrained_model().state_dict(), bare_state_dict)
    with pytest.raises(CheckpointError, match="not a bahdanau checkpoint") as error:
        load_checkpoint(bare_state_dict)
    assert str(bare_state_dict) in str(error.value)


def test_load_rejects_a_flipped_byte_in_the_weights(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    # Find the embedding matrix's raw float32 bytes inside the file and damage one of them.
    embedding = untrained_model().state_dict()["encoder.embedding.weight"]
    start = data.find(embedding.numpy().tobytes()[:64])
    assert start > 0
    data[start + 13] ^= 0x40
    tampered = tmp_path / "tampered.pt"
    tampered.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256") as error:
        load_checkpoint(tampered)
    assert str(tampered) in str(error.value) and "modified" in str(error.value)


def test_load_rejects_weights_changed_without_updating_the_hash(saved, tmp_path):
    payload = torch.load(saved, weights_only=True)
    payload["state_dict"]["decoder.dense.bias"][0] += 1.0
    changed = tmp_path / "changed.pt"
    torch.save(payload, changed)
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(changed)


def _resave(payload, path, *, edit_config=None, drop_key=None, add_key=None):
    """Write ``payload`` again after editing its config or weights, with a consistent hash."""
    document = json.loads(payload["metadata_json"])
    if edit_config:
        document["model_config"].update(edit_config)
    if drop_key:
        del payload["state_dict"][drop_key]
    if add_key:
        payload["state_dict"][add_key] = torch.zeros(3)
    document["weights_sha256"] = state_dict_sha256(payload["state_dict"])
    payload["metadata_json"] = json.dumps(document)
    torch.save(payload, path)
    return path


def test_load_rejects_a_config_that_does_not_fit_the_weights(saved, tmp_path):
    wrong_size = _resave(torch.load(saved, weights_only=True), tmp_path / "a.pt", edit_config={"num_hiddens": 16})
    with pytest.raises(CheckpointError, match="do not match the model config") as error:
        load_checkpoint(wrong_size)
    message = str(error.value)
    assert str(wrong_size) in message
    assert "decoder.dense.weight has shape (" in message and "the config needs (" in message

    no_attention = _resave(torch.load(saved, weights_only=True), tmp_path / "b.pt", edit_config={"attention": False})
    with pytest.raises(CheckpointError, match="unexpected keys: .*decoder.attention"):
        load_checkpoint(no_attention)

    missing = _resave(torch.load(saved, weights_only=True), tmp_path / "c.pt", drop_key="decoder.dense.bias")
    with pytest.raises(CheckpointError, match="missing keys: decoder.dense.bias"):
        load_checkpoint(missing)

    extra = _resave(torch.load(saved, weights_only=True), tmp_path / "d.pt", add_key="decoder.extra")
    with pytest.raises(CheckpointError, match="unexpected keys: decoder.extra"):
        load_checkpoint(extra)

    unknown_field = _resave(torch.load(saved, weights_only=True), tmp_path / "e.pt", edit_config={"heads": 8})
    with pytest.raises(CheckpointError, match="invalid model_config"):
        load_checkpoint(unknown_field)


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_fit_stops_at_a_non_finite_loss_before_it_reaches_the_weights():
    model = untrained_model()
    with torch.no_grad():
        model.decoder.dense.bias[0] = float("nan")  # every logit row now holds a NaN: the loss is NaN
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    with pytest.raises(FloatingPointError, match=r"became nan in epoch 1; try a smaller learning rate"):
        fit(model, toy_loader(), epochs=2, lr=0.01, pad_index=PAD, device="cpu", progress=False)
    for name, tensor in model.state_dict().items():
        assert torch.allclose(tensor, before[name], equal_nan=True), name


def test_printed_source_of_sequence_loss_fits_the_books_code_column():
    """Chapter 4 prints it with inspect.getsource; the book's code column holds 78 characters."""
    long_lines = [line for line in inspect.getsource(sequence_loss).splitlines() if len(line) > 78]
    assert not long_lines, f"lines over 78 characters: {long_lines}"
