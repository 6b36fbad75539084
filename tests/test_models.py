"""Tests for bahdanau.models: encoder, decoders, encoder-decoder."""

import pytest
import torch

import bahdanau
from bahdanau.models import (
    AttentionState,
    EncoderDecoder,
    ModelConfig,
    Seq2SeqAttentionDecoder,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    make_model,
)

import d2l.torch as d2l  # the independent reference (installed by `make test`)

SRC_V, TGT_V = 30, 40


def _config(**overrides):
    base = dict(src_vocab_size=SRC_V, tgt_vocab_size=TGT_V, embed_size=8, num_hiddens=12, num_layers=2, dropout=0.0)
    base.update(overrides)
    return ModelConfig(**base)


def _batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(4, SRC_V, (3, 7), generator=generator)  # (B, S)
    valid_lens = torch.tensor([7, 3, 5])
    tgt_in = torch.randint(4, TGT_V, (3, 4), generator=generator)  # (B, T)
    return src, valid_lens, tgt_in


@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_shapes(bidirectional):
    torch.manual_seed(0)
    encoder = Seq2SeqEncoder(SRC_V, 8, 12, 2, bidirectional=bidirectional)
    src, valid_lens, _ = _batch()
    enc_outputs, hidden_state = encoder(src, valid_lens)
    assert enc_outputs.shape == (3, 7, 24 if bidirectional else 12)  # (B, S, H or 2H)
    assert hidden_state.shape == (2, 3, 12)  # (L, B, H)
    # Padded positions carry no information.
    assert torch.all(enc_outputs[1, 3:] == 0) and torch.all(enc_outputs[2, 5:] == 0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_ignores_padding(bidirectional):
    """A sentence encoded in a padded batch gives what it gives alone, whatever the padding holds."""
    torch.manual_seed(0)
    encoder = Seq2SeqEncoder(SRC_V, 8, 12, 2, bidirectional=bidirectional).eval()
    src, valid_lens, _ = _batch()
    enc_outputs, hidden_state = encoder(src, valid_lens)
    alone_outputs, alone_state = encoder(src[1:2, :3], valid_lens[1:2])
    torch.testing.assert_close(enc_outputs[1:2, :3], alone_outputs)
    torch.testing.assert_close(hidden_state[:, 1:2], alone_state)
    src2 = src.clone()
    src2[1, 3:] = 5
    again_outputs, again_state = encoder(src2, valid_lens)
    assert torch.equal(again_outputs, enc_outputs) and torch.equal(again_state, hidden_state)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_grus_do_no_work_on_padding(bidirectional):
    """Every GRU reads packed sequences holding the real tokens only (the benchmark's speed-up)."""
    encoder = Seq2SeqEncoder(SRC_V, 8, 12, 2, bidirectional=bidirectional)
    src, valid_lens, _ = _batch()
    rows_read = []
    grus = [*encoder.forward_layers, *(encoder.backward_layers if bidirectional else [])]
    for gru in grus:
        gru.register_forward_hook(lambda module, inputs, output: rows_read.append(inputs[0].data.shape[0]))
    encoder(src, valid_lens)
    assert rows_read == [int(valid_lens.sum())] * len(grus)  # 15 token positions, not 3 x 7 = 21


def test_d2l_encoder_state_depends_on_padding_ours_does_not():
    """The reason ours reads the state at each sentence's last real token."""
    torch.manual_seed(0)
    theirs = d2l.Seq2SeqEncoder(SRC_V, 8, 12, 2)
    ours = Seq2SeqEncoder(SRC_V, 8, 12, 2)
    sentence = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 0, 0]])
    _, theirs_short = theirs(sentence)
    _, theirs_padded = theirs(padded)
    assert not torch.allclose(theirs_short, theirs_padded)
    _, ours_short = ours(sentence, torch.tensor([3]))
    _, ours_padded = ours(padded, torch.tensor([3]))
    torch.testing.assert_close(ours_short, ours_padded)


@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_logits_shape_and_padding_does_not_change_logits(attention, bidirectional):
    torch.manual_seed(0)
    model = make_model(_config(attention=attention, bidirectional=bidirectional)).eval()
    src, valid_lens, tgt_in = _batch()
    logits = model(src, tgt_in, valid_lens)
    assert logits.shape == (3, 4, TGT_V)  # (B, T, V)
    src2 = src.clone()
    src2[1, 3:] = torch.tensor([9, 10, 11, 12])
    src2[2, 5:] = 0
    assert torch.equal(model(src2, tgt_in, valid_lens), logits)


def test_attention_decoder_exposes_weights_for_every_step():
    torch.manual_seed(0)
    model = make_model(_config()).eval()
    src, valid_lens, tgt_in = _batch()
    model(src, tgt_in, valid_lens)
    weights = model.decoder.attention_weights
    assert weights.shape == (3, 4, 7)  # (B, T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4))
    assert torch.all(weights[1, :, 3:] == 0)


@pytest.mark.parametrize("attention", [True, False])
def test_stepwise_decoding_equals_teacher_forcing(attention):
    """Calling the decoder one token at a time, carrying the state, equals one call on the whole target."""
    torch.manual_seed(0)
    model = make_model(_config(attention=attention)).eval()
    src, valid_lens, tgt_in = _batch()
    full = model(src, tgt_in, valid_lens)
    state = model.decoder.init_state(model.encoder(src, valid_lens), valid_lens)
    steps = []
    for t in range(tgt_in.shape[1]):
        logits, state = model.decoder(tgt_in[:, t : t + 1], state)
        steps.append(logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), full)


def test_state_select_reorders_the_batch():
    torch.manual_seed(0)
    model = make_model(_config()).eval()
    src, valid_lens, _ = _batch()
    state = model.decoder.init_state(model.encoder(src, valid_lens), valid_lens)
    assert isinstance(state, AttentionState)
    picked = state.select(torch.tensor([2, 0]))
    assert torch.equal(picked.enc_outputs, state.enc_outputs[[2, 0]])
    assert torch.equal(picked.hidden_state, state.hidden_state[:, [2, 0]])
    assert picked.enc_valid_lens.tolist() == [5, 7]


def test_make_model_builds_what_the_config_says():
    with_attention = make_model(_config())
    assert isinstance(with_attention, EncoderDecoder) and with_attention.has_attention
    assert isinstance(with_attention.decoder, Seq2SeqAttentionDecoder)
    without = make_model(_config(attention=False))
    assert isinstance(without.decoder, Seq2SeqDecoder) and not without.has_attention
    bidirectional = make_model(_config(bidirectional=True))
    assert bidirectional.decoder.attention.W_k.in_features == 24  # keys are [->h; <-h]
    assert ModelConfig(**_config().to_dict()) == _config()  # the JSON round trip a checkpoint relies on


def test_models_are_exported_at_top_level():
    for name in ["Seq2SeqEncoder", "Seq2SeqDecoder", "Seq2SeqAttentionDecoder", "EncoderDecoder"]:
        assert getattr(bahdanau, name) is getattr(bahdanau.models, name)


def test_training_step_reduces_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = make_model(_config())
    src, valid_lens, tgt_in = _batch()
    target = torch.roll(tgt_in, -1, dims=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(src, tgt_in, valid_lens).reshape(-1, TGT_V), target.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
