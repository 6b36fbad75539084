"""Tests for bahdanau.attention: masked softmax and additive attention."""

import pytest
import torch

import bahdanau
from bahdanau.attention import AdditiveAttention, _tanh_inplace, masked_softmax

import d2l.torch as d2l  # noqa: E402 - the independent reference (installed by `make test`)


def test_masked_softmax_rows_sum_to_one_and_padding_gets_zero():
    torch.manual_seed(0)
    scores = torch.randn(3, 4, 6)  # (B, Q, K)
    valid_lens = torch.tensor([2, 6, 1])
    weights = masked_softmax(scores, valid_lens)
    assert weights.shape == (3, 4, 6)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4))
    for b, n in enumerate(valid_lens.tolist()):
        assert torch.all(weights[b, :, n:] == 0)
        assert torch.all(weights[b, :, :n] > 0)


def test_masked_softmax_per_query_lengths_and_no_mask():
    torch.manual_seed(1)
    scores = torch.randn(2, 3, 5)
    per_query = torch.tensor([[1, 2, 5], [3, 3, 4]])
    weights = masked_softmax(scores, per_query)
    for b in range(2):
        for q in range(3):
            n = per_query[b, q].item()
            assert torch.all(weights[b, q, n:] == 0)
            torch.testing.assert_close(weights[b, q, :n], torch.softmax(scores[b, q, :n], -1))
    torch.testing.assert_close(masked_softmax(scores, None), torch.softmax(scores, -1))


@pytest.mark.parametrize("valid_lens", [torch.tensor([2, 4]), torch.tensor([[1, 3, 4], [2, 2, 4]]), None])
def test_masked_softmax_equals_d2l(valid_lens):
    torch.manual_seed(2)
    scores = torch.randn(2, 3, 4)
    assert torch.equal(masked_softmax(scores, valid_lens), d2l.masked_softmax(scores, valid_lens))


def _ours_and_d2l(key_size=6, query_size=7, num_hiddens=8):
    torch.manual_seed(3)
    ours = AdditiveAttention(key_size, query_size, num_hiddens, dropout=0.0)
    theirs = d2l.AdditiveAttention(num_hiddens, 0.0)
    # d2l's layers are lazy: one call fixes their shapes, then the weights can be copied.
    theirs(torch.zeros(1, 1, query_size), torch.zeros(1, 1, key_size), torch.zeros(1, 1, 1), None)
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def test_additive_attention_layer_names_match_d2l_and_are_bias_free():
    ours, _ = _ours_and_d2l()
    assert set(ours.state_dict()) == {"W_k.weight", "W_q.weight", "w_v.weight"}


def test_additive_attention_equals_d2l_with_the_same_weights():
    ours, theirs = _ours_and_d2l()
    queries, keys, values = torch.randn(2, 3, 7), torch.randn(2, 5, 6), torch.randn(2, 5, 4)
    valid_lens = torch.tensor([2, 5])
    context = ours(queries, keys, values, valid_lens)
    expected = theirs(queries, keys, values, valid_lens)
    assert context.shape == (2, 3, 4)
    assert ours.attention_weights.shape == (2, 3, 5)
    # Equal up to float32 rounding (our tanh is computed as 2*sigmoid(2x) - 1).
    torch.testing.assert_close(context, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours.attention_weights, theirs.attention_weights, rtol=1e-5, atol=1e-6)


def test_cached_key_projection_gives_the_same_context():
    ours, _ = _ours_and_d2l()
    queries, keys = torch.randn(2, 1, 7), torch.randn(2, 5, 6)
    valid_lens = torch.tensor([3, 4])
    direct = ours(queries, keys, keys[..., :4], valid_lens)
    cached = ours(queries, keys, keys[..., :4], valid_lens, projected_keys=ours.project_keys(keys))
    assert torch.equal(direct, cached)


def test_padded_keys_get_zero_weight_and_do_not_change_the_context():
    ours, _ = _ours_and_d2l()
    queries, keys, values = torch.randn(2, 3, 7), torch.randn(2, 5, 6), torch.randn(2, 5, 4)
    valid_lens = torch.tensor([2, 3])
    context = ours(queries, keys, values, valid_lens)
    assert torch.all(ours.attention_weights[0, :, 2:] == 0)
    assert torch.all(ours.attention_weights[1, :, 3:] == 0)
    keys2, values2 = keys.clone(), values.clone()
    keys2[0, 2:], values2[0, 2:] = 100.0, -7.0
    torch.testing.assert_close(ours(queries, keys2, values2, valid_lens), context)


def test_fast_tanh_matches_torch_tanh_in_value_and_gradient():
    x = torch.linspace(-12, 12, 2001)
    torch.testing.assert_close(_tanh_inplace(x.clone()), torch.tanh(x), rtol=0, atol=5e-7)
    leaf = x.clone().requires_grad_()
    _tanh_inplace(leaf * 1.0).sum().backward()
    torch.testing.assert_close(leaf.grad, 1 - torch.tanh(x) ** 2, rtol=0, atol=1e-6)


def test_attention_is_exported_at_top_level():
    assert bahdanau.AdditiveAttention is AdditiveAttention
    assert bahdanau.masked_softmax is masked_softmax
