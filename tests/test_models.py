"""Tests for bahdanau.models: encoder, decoders, encoder-decoder."""

import inspect
import json

import d2l.torch as d2l  # the independent reference (installed by `make test`)
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
    maxout,
)

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
def test_encoder_gru_does_no_work_on_padding(bidirectional):
    """The one GRU reads a packed sequence holding the real tokens only (the benchmark's speed-up)."""
    encoder = Seq2SeqEncoder(SRC_V, 8, 12, 2, bidirectional=bidirectional)
    src, valid_lens, _ = _batch()
    rows_read = []
    encoder.rnn.register_forward_hook(lambda module, inputs, output: rows_read.append(inputs[0].data.shape[0]))
    encoder(src, valid_lens)
    assert rows_read == [int(valid_lens.sum())]  # 15 token positions, not 3 x 7 = 21


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
    """decoder.step one token at a time, carrying the state, equals one call on the whole target;
    so does calling the decoder on one-token slices (d2l's way)."""
    torch.manual_seed(0)
    model = make_model(_config(attention=attention)).eval()
    src, valid_lens, tgt_in = _batch()
    full = model(src, tgt_in, valid_lens)
    start = model.decoder.init_state(model.encoder(src, valid_lens), valid_lens)
    state, sliced_state, steps, slices = start, start, [], []
    for t in range(tgt_in.shape[1]):
        step = model.decoder.step(tgt_in[:, t], state)
        assert step.logits.shape == (tgt_in.shape[0], TGT_V)
        steps.append(step.logits)
        state = step.state
        logits, sliced_state = model.decoder(tgt_in[:, t : t + 1], sliced_state)
        slices.append(logits)
    torch.testing.assert_close(torch.stack(steps, dim=1), full)
    torch.testing.assert_close(torch.cat(slices, dim=1), full)
    assert (step.weights is None) == (not attention)


def test_state_select_reorders_the_batch():
    torch.manual_seed(0)
    model = make_model(_config()).eval()
    src, valid_lens, _ = _batch()
    state = model.decoder.init_state(model.encoder(src, valid_lens), valid_lens)
    assert isinstance(state, AttentionState)
    picked = state.select(torch.tensor([2, 0]))
    assert torch.equal(picked.enc_outputs, state.enc_outputs[[2, 0]])
    assert torch.equal(picked.hidden_state, state.hidden_state[:, [2, 0]])
    assert picked.src_valid_len.tolist() == [5, 7]


def test_make_model_builds_what_the_config_says():
    with_attention = make_model(_config())
    assert isinstance(with_attention, EncoderDecoder)
    assert isinstance(with_attention.decoder, Seq2SeqAttentionDecoder)
    without = make_model(_config(attention=False))
    assert isinstance(without.decoder, Seq2SeqDecoder)
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


# --- the decoder step, and forward's helper against it --------------------------------------


def test_the_step_returns_what_it_computes():
    """weights = softmax(scores) over the real tokens, context = weights @ h, query = s_{i-1},
    and the state holds s_i; nothing is left on the module."""
    torch.manual_seed(0)
    model = make_model(_config()).eval()
    src, valid_lens, tgt_in = _batch()
    state = model.decoder.init_state(model.encoder(src, valid_lens), valid_lens)
    before = dict(vars(model.decoder))
    step = model.decoder.step(tgt_in[:, 0], state)
    assert vars(model.decoder).keys() == before.keys() and model.decoder.attention_weights is None
    B, S = src.shape
    assert step.weights.shape == step.scores.shape == (B, S)
    torch.testing.assert_close(step.query, state.hidden_state[-1])
    expected = torch.softmax(step.scores.masked_fill(torch.arange(S) >= valid_lens[:, None], -1e6), dim=-1)
    torch.testing.assert_close(step.weights, expected)
    torch.testing.assert_close(step.context, torch.einsum("bs,bsh->bh", step.weights, state.enc_outputs))
    assert not torch.equal(step.state.hidden_state, state.hidden_state)


def _steps_forward(decoder, X, state):
    """The decoder's step called once per column of X: logits, last state and the weights."""
    logits, weights = [], []
    for y_prev in X.unbind(dim=1):
        step = decoder.step(y_prev, state)
        logits.append(step.logits)
        weights.append(step.weights)
        state = step.state
    return torch.stack(logits, dim=1), state.hidden_state, torch.stack(weights, dim=1)


def _fast_forward(decoder, X, state):
    logits, new_state = decoder(X, state)
    return logits, new_state.hidden_state, decoder.attention_weights


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("deep_output", [0, 5])
def test_forwards_helper_equals_the_step_called_per_column(num_layers, deep_output):
    """teacher_forced_steps: same logits, state, weights and gradients as step after step."""
    torch.manual_seed(0)
    B, S, T, E, H, H_enc = 4, 6, 5, 8, 12, 24  # H_enc != H: the context's columns of W_ih come first
    decoder = Seq2SeqAttentionDecoder(TGT_V, E, H, num_layers, dropout=0.0, enc_output_size=H_enc,
                                      deep_output=deep_output).train()
    enc_outputs = torch.randn(B, S, H_enc, requires_grad=True)
    hidden_state = torch.randn(num_layers, B, H, requires_grad=True)
    valid_lens = torch.tensor([6, 2, 4, 1])
    X = torch.randint(0, TGT_V, (B, T))
    results = []
    for forward in (_fast_forward, _steps_forward):
        decoder.zero_grad(set_to_none=True)
        enc_outputs.grad = hidden_state.grad = None
        outputs = forward(decoder, X, decoder.init_state((enc_outputs, hidden_state), valid_lens))
        # Every output enters the loss, with its own random weights, so every path's gradient is compared.
        generator = torch.Generator().manual_seed(1)
        loss = sum((t * torch.randn(t.shape, generator=generator)).sum() for t in outputs)
        loss.backward()
        grads = {name: p.grad for name, p in decoder.named_parameters()}
        grads.update(enc_outputs=enc_outputs.grad, hidden_state=hidden_state.grad)
        results.append((outputs, grads))
    (fast_outputs, fast_grads), (ref_outputs, ref_grads) = results
    for name, fast, ref in zip(["logits", "state", "attention_weights"], fast_outputs, ref_outputs):
        torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5, msg=name)
    assert fast_grads.keys() == ref_grads.keys()
    for name in fast_grads:
        torch.testing.assert_close(fast_grads[name], ref_grads[name], atol=1e-5, rtol=1e-4, msg=name)


# --- the paper's deep output (rnnsearch) -----------------------------------------------------


def test_maxout_takes_the_larger_of_each_pair_of_units():
    pre = torch.tensor([[1.0, 5.0, -2.0, -3.0, 0.5, 0.25]])  # (1, 2l) with l = 3
    assert torch.equal(maxout(pre), torch.tensor([[5.0, -2.0, 0.5]]))
    assert maxout(torch.randn(2, 3, 8)).shape == (2, 3, 4)


def test_deep_output_is_the_papers_maxout_over_s_i_y_prev_and_c_i():
    """logits = W_o maxout(U_o s_i + V_o E y_{i-1} + C_o c_i), with s_i the state after the step."""
    torch.manual_seed(0)
    B, S, T, E, H, H_enc, maxout_units = 3, 5, 4, 8, 12, 24, 6
    decoder = Seq2SeqAttentionDecoder(TGT_V, E, H, 1, dropout=0.0, enc_output_size=H_enc,
                                      deep_output=maxout_units).eval()
    assert decoder.maxout_input.in_features == H + E + H_enc and decoder.maxout_input.out_features == 2 * maxout_units
    assert decoder.dense.in_features == maxout_units
    enc_outputs, hidden_state = torch.randn(B, S, H_enc), torch.randn(1, B, H)
    valid_lens = torch.tensor([5, 2, 3])
    X = torch.randint(0, TGT_V, (B, T))
    state = decoder.init_state((enc_outputs, hidden_state), valid_lens)
    logits, _ = decoder(X, state)
    # The same, one step at a time, from the module's own pieces.
    hidden = hidden_state
    for i in range(T):
        query = hidden[-1].unsqueeze(1)  # s_{i-1}
        scores = decoder.attention.scores(query, state.enc_keys)
        context, _ = decoder.attention.attend(scores, enc_outputs, valid_lens)  # (B, 1, H_enc)
        emb = decoder.embedding(X[:, i : i + 1])  # (B, 1, E)
        output, hidden = decoder.rnn(torch.cat((context, emb), dim=-1), hidden)  # s_i
        t = maxout(decoder.maxout_input(torch.cat((output, emb, context), dim=-1)))  # (B, 1, l)
        torch.testing.assert_close(logits[:, i : i + 1], decoder.dense(t), atol=1e-5, rtol=1e-5)


def test_the_papers_attention_initialisation_starts_every_row_uniform():
    model = make_model(_config(attention_init="paper", attention_dropout=0.0))
    attention = model.decoder.attention
    assert attention.w_v.weight.abs().sum() == 0 and attention.dropout.p == 0.0
    assert 0 < attention.W_k.weight.std() < 0.002 and 0 < attention.W_q.weight.std() < 0.002
    src, valid_lens, tgt_in = _batch()
    model(src, tgt_in, valid_lens)
    weights = model.decoder.attention_weights  # (B, T, S): 1 / valid_len on every real token
    expected = (torch.arange(7) < valid_lens[:, None]).float() / valid_lens[:, None]  # (B, S)
    torch.testing.assert_close(weights, expected[:, None, :].expand_as(weights))
    # d2l's default: Xavier everywhere and the weights dropped out like the rest.
    d2l_style = make_model(_config(dropout=0.3)).decoder.attention
    assert d2l_style.w_v.weight.abs().sum() > 0 and d2l_style.dropout.p == 0.3
    with pytest.raises(ValueError, match="attention_init must be 'd2l' or 'paper'"):
        make_model(_config(attention_init="orthogonal"))


def test_deep_output_needs_attention_and_round_trips_in_the_config():
    with pytest.raises(ValueError, match="deep_output needs attention=True"):
        make_model(_config(attention=False, deep_output=4))
    config = _config(bidirectional=True, deep_output=4)
    assert ModelConfig(**json.loads(json.dumps(config.to_dict()))) == config
    model = make_model(config)
    src, valid_lens, tgt_in = _batch()
    assert model(src, tgt_in, valid_lens).shape == (3, 4, TGT_V)
    # A config written before deep_output existed still loads, with d2l's linear output.
    old = {key: value for key, value in config.to_dict().items() if key != "deep_output"}
    assert ModelConfig(**old).deep_output == 0


def test_fast_decoder_trains_with_dropout_between_layers():
    """In train mode with dropout the fast path runs, and the state stays (L, B, H)."""
    torch.manual_seed(0)
    model = make_model(_config(dropout=0.3)).train()
    src, valid_lens, tgt_in = _batch()
    logits = model(src, tgt_in, valid_lens)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.decoder.parameters())


# The chapters print these with inspect.getsource (or literalinclude them); the book's code
# column holds 78 characters.
@pytest.mark.parametrize(
    "obj",
    [
        Seq2SeqDecoder.forward,
        Seq2SeqAttentionDecoder.init_state,
        Seq2SeqAttentionDecoder.forward,
        Seq2SeqAttentionDecoder.step,
        EncoderDecoder.forward,
        bahdanau.models.gru_step,
        bahdanau.models.teacher_forced_steps,
        Seq2SeqAttentionDecoder.output_layer,
    ],
    ids=lambda obj: obj.__qualname__,
)
def test_printed_source_fits_the_books_code_column(obj):
    long_lines = [line for line in inspect.getsource(obj).splitlines() if len(line) > 78]
    assert not long_lines, f"{obj.__qualname__}: lines over 78 characters: {long_lines}"


def test_decoding_never_uses_the_training_shortcut(monkeypatch):
    """The step stands alone: greedy decoding runs with teacher_forced_steps out of the way."""
    torch.manual_seed(0)
    model = make_model(_config()).eval()
    src, valid_lens, _ = _batch()
    before = bahdanau.greedy_decode(model, src, valid_lens, bos_index=1, eos_index=2, max_len=6)

    def forbidden(*args, **kwargs):
        raise AssertionError("decoding called the training shortcut")

    monkeypatch.setattr(bahdanau.models, "teacher_forced_steps", forbidden)
    after = bahdanau.greedy_decode(model, src, valid_lens, bos_index=1, eos_index=2, max_len=6)
    assert [h.token_ids for h in after] == [h.token_ids for h in before]
    with pytest.raises(AssertionError, match="shortcut"):
        model(src, torch.ones_like(src), valid_lens)  # training's forward does use it
