"""Tests for bahdanau.attention: masked softmax and additive attention."""

import inspect

import d2l.torch as d2l  # noqa: E402 - the independent reference (installed by `make test`)
import pytest
import torch

import bahdanau
from bahdanau.attention import AdditiveAttention, additive_scores, masked_softmax


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
    context, weights = ours(queries=queries, keys=keys, values=values, valid_lens=valid_lens)
    expected = theirs(queries, keys, values, valid_lens)
    assert context.shape == (2, 3, 4) and weights.shape == (2, 3, 5)
    torch.testing.assert_close(context, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(weights, theirs.attention_weights, rtol=1e-5, atol=1e-6)


def test_additive_attention_keeps_no_state_and_takes_keywords_only():
    ours, _ = _ours_and_d2l()
    queries, keys = torch.randn(2, 1, 7), torch.randn(2, 5, 6)
    ours(queries=queries, keys=keys, values=keys)
    assert not hasattr(ours, "attention_weights")  # returned, not stored
    with pytest.raises(TypeError):
        ours(queries, keys, keys)  # a swapped query and key cannot slip through


def test_scores_are_the_papers_equation_6():
    ours, _ = _ours_and_d2l()
    queries, keys = torch.randn(2, 3, 7), torch.randn(2, 5, 6)
    scores = ours.scores(queries, ours.project_keys(keys))  # (B, Q, K)
    # e_ij = v_a^T tanh(W_a s_i + U_a h_j), one (i, j) pair at a time.
    W_a, U_a, v_a = ours.W_q.weight.detach(), ours.W_k.weight.detach(), ours.w_v.weight[0].detach()
    by_hand = torch.tensor([[[float(v_a @ torch.tanh(W_a @ queries[b, i] + U_a @ keys[b, j])) for j in range(5)]
                             for i in range(3)] for b in range(2)])
    torch.testing.assert_close(scores, by_hand, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(additive_scores(ours.W_q(queries), ours.W_k(keys), ours.w_v), scores)
    # forward is scores, then attend: the weights are the masked softmax of exactly these scores.
    valid_lens = torch.tensor([4, 5])
    _, weights = ours(queries=queries, keys=keys, values=keys, valid_lens=valid_lens)
    torch.testing.assert_close(weights, masked_softmax(scores, valid_lens))


def test_cached_key_projection_gives_the_same_context():
    ours, _ = _ours_and_d2l()
    queries, keys = torch.randn(2, 1, 7), torch.randn(2, 5, 6)
    valid_lens = torch.tensor([3, 4])
    common = dict(queries=queries, keys=keys, values=keys[..., :4], valid_lens=valid_lens)
    direct = ours(**common)
    cached = ours(**common, projected_keys=ours.project_keys(keys))
    assert torch.equal(direct[0], cached[0]) and torch.equal(direct[1], cached[1])


def test_padded_keys_get_zero_weight_and_do_not_change_the_context():
    ours, _ = _ours_and_d2l()
    queries, keys, values = torch.randn(2, 3, 7), torch.randn(2, 5, 6), torch.randn(2, 5, 4)
    valid_lens = torch.tensor([2, 3])
    context, weights = ours(queries=queries, keys=keys, values=values, valid_lens=valid_lens)
    assert torch.all(weights[0, :, 2:] == 0)
    assert torch.all(weights[1, :, 3:] == 0)
    keys2, values2 = keys.clone(), values.clone()
    keys2[0, 2:], values2[0, 2:] = 100.0, -7.0
    context2, _ = ours(queries=queries, keys=keys2, values=values2, valid_lens=valid_lens)
    torch.testing.assert_close(context2, context)


def test_attention_is_exported_at_top_level():
    assert bahdanau.AdditiveAttention is AdditiveAttention
    assert bahdanau.masked_softmax is masked_softmax


# The chapters print these with inspect.getsource; the book's code column holds 78 characters.
@pytest.mark.parametrize(
    "obj",
    [masked_softmax, additive_scores, AdditiveAttention.forward, AdditiveAttention.attend, AdditiveAttention.scores],
    ids=lambda obj: obj.__qualname__,
)
def test_printed_source_fits_the_books_code_column(obj):
    long_lines = [line for line in inspect.getsource(obj).splitlines() if len(line) > 78]
    assert not long_lines, f"{obj.__qualname__}: lines over 78 characters: {long_lines}"
