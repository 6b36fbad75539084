"""Tests for bahdanau.chapters.probing: the substitution experiment and the linear position probe."""

from __future__ import annotations

import pytest
import torch
from helpers import SRC_VOCAB, TOY_PAIRS, overfit_model

from bahdanau import load_pretrained
from bahdanau.chapters.probing import fit_linear_probe, fixed_context, position_probe, probe_predict, substitution_shift
from bahdanau.data import encode_sources


def test_a_linear_probe_recovers_linearly_separable_classes_and_not_noise():
    generator = torch.Generator().manual_seed(0)
    centres = 3 * torch.randn(5, 8, generator=generator)  # 5 classes in 8 dimensions
    labels = torch.randint(0, 5, (400,), generator=generator)
    features = centres[labels] + 0.3 * torch.randn(400, 8, generator=generator)
    weights = fit_linear_probe(features[:300], labels[:300], num_classes=5)
    assert weights.shape == (9, 5)  # (H + 1, C): a bias row
    accuracy = (probe_predict(weights, features[300:]) == labels[300:]).float().mean()
    assert accuracy > 0.95
    # Features that carry nothing about the labels: the probe is near chance (1/5) on new data.
    noise = torch.randn(400, 8, generator=generator)
    weights = fit_linear_probe(noise[:300], labels[:300], num_classes=5)
    assert (probe_predict(weights, noise[300:]) == labels[300:]).float().mean() < 0.4
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        fit_linear_probe(features, labels[:10], num_classes=5)


def test_the_probe_is_the_closed_form_ridge_fit_the_chapter_shows():
    # Chapter 1 fits W = (X^T X + lambda I)^-1 X^T Y with a bias column and one-hot Y over the
    # classes seen in training; the package builds X^T Y without Y, over every class.
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(60, 6, generator=generator)
    labels = torch.tensor([0, 2, 5] * 20)  # classes 1, 3 and 4 never seen
    X = torch.cat([features, torch.ones(60, 1)], dim=1).double()
    words, seen = torch.unique(labels, return_inverse=True)
    Y = torch.nn.functional.one_hot(seen).double()
    W = torch.linalg.solve(X.T @ X + 2.0 * torch.eye(7, dtype=torch.float64), X.T @ Y)  # (H + 1, C seen)
    weights = fit_linear_probe(features, labels, num_classes=6, ridge=2.0)  # (H + 1, C)
    torch.testing.assert_close(weights[:, words], W.float())
    assert not weights[:, [1, 3, 4]].any()  # an unseen class gets no weight
    test = torch.randn(30, 6, generator=generator)
    chapter = words[(torch.cat([test, torch.ones(30, 1)], dim=1).double() @ W).argmax(dim=1)]
    assert torch.equal(probe_predict(weights, test), chapter)


def test_fixed_context_is_the_last_layer_final_state_and_the_eos_annotation():
    model = overfit_model(attention=False, num_layers=2)[0]
    src, src_valid_len = encode_sources([TOY_PAIRS[5][0], TOY_PAIRS[0][0]], SRC_VOCAB)  # padded batch
    context, enc_outputs = fixed_context(model, src, src_valid_len)
    assert context.shape == (2, 32) and enc_outputs.shape == (2, src.shape[1], 32)
    for row, length in enumerate(src_valid_len.tolist()):
        torch.testing.assert_close(context[row], enc_outputs[row, length - 1])


@pytest.fixture(scope="module")
def shipped():
    return load_pretrained("no-attention"), load_pretrained("attention")


def test_every_word_moves_the_fixed_context_and_attention_reads_the_word_it_looks_at(shipped):
    baseline, attention = shipped
    result = substitution_shift(baseline, "my father bought a new house .", ["dog", "blue", "the"], attention)
    assert result.tokens == ["my", "father", "bought", "a", "new", "house", "."]
    assert len(result.fixed) == len(result.attention) == len(result.steps) == 7
    # Not "only the last word": replacing the first word moves c by more than a tenth of its length.
    assert min(result.fixed) > 0.1
    assert result.fixed[0] > 0.3
    # The French is the attention model's own translation, and each word has a step that reads it.
    assert result.french == " ".join(attention.translate("my father bought a new house .").tokens)
    assert all(0 <= step < len(result.french.split()) for step in result.steps)
    assert result.steps == sorted(result.steps)  # the French follows the English order here
    # A substitute equal to the word it replaces is skipped, not counted as a zero shift.
    same = substitution_shift(baseline, "i have a dog .", ["dog"])
    assert same.attention is None and same.steps is None
    assert same.fixed[3] != same.fixed[3]  # NaN: nothing was substituted there
    with pytest.raises(ValueError, match="single words"):
        substitution_shift(baseline, "go .", ["two words"])


@pytest.mark.slow  # reads the whole corpus
def test_the_probe_finds_each_word_in_its_annotation_better_than_in_the_fixed_context(shipped, real_corpus_path):
    from bahdanau.data import read_pairs, split_by_source

    baseline, _ = shipped
    config = baseline.metadata["data_config"]
    splits = split_by_source(read_pairs(real_corpus_path), config["val_fraction"], config["test_fraction"],
                             config["split_seed"])
    result = position_probe(baseline, splits.train, splits.test, lengths=(5, 9), max_train=3000)
    assert result.num_train == {5: 3000, 9: 3000}
    assert result.num_test[5] > 100 and result.num_test[9] > 100
    for length in (5, 9):
        context, annotation, chance = (result.from_context[length], result.from_annotation[length],
                                       result.chance[length])
        assert len(context) == len(annotation) == len(chance) == length
        # The first word survives in c far above chance; a middle word of a long sentence much less.
        assert context[0] > chance[0] + 0.3
        # The annotation of word j holds it at least as well as c, on average clearly better.
        assert sum(annotation) / length > sum(context) / length + 0.1
    middle = result.from_context[9][3:6]
    assert max(middle) < result.from_annotation[9][3] and max(middle) < result.from_context[9][0] - 0.3
    with pytest.raises(ValueError, match="no test sentence"):
        position_probe(baseline, splits.train, [], lengths=(5,))
