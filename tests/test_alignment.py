"""Tests for bahdanau.alignment: forced alignment and its scores against gold links."""

from __future__ import annotations

import pytest
import torch
from helpers import SRC_VOCAB, TGT_VOCAB, TOY_PAIRS, overfit_lstm_model, overfit_model

from bahdanau import load_pretrained
from bahdanau.alignment import alignment_error_rate, argmax_accuracy, argmax_links, forced_alignment
from bahdanau.decoding import translate


def test_forced_alignment_of_the_models_own_output_is_its_translation_attention():
    # Teacher-forcing the greedy output reproduces the attention that greedy decoding used.
    for model in (overfit_model(attention=True)[0], overfit_lstm_model()):
        english = " ".join(TOY_PAIRS[4][0])
        result = translate(model, english, SRC_VOCAB, TGT_VOCAB)
        alignment = forced_alignment(model, english, result.text, SRC_VOCAB, TGT_VOCAB)
        assert alignment.src_tokens == result.src_tokens
        assert alignment.tgt_tokens == [*result.tokens, "<eos>"]
        torch.testing.assert_close(alignment.weights, result.attention, atol=1e-5, rtol=0)


def test_translator_align_reads_a_reference_and_reports_unknown_words():
    translator = load_pretrained("attention")
    alignment = translator.align("i have a red zorglub .", "j'ai une voiture rouge .")
    assert alignment.weights.shape == (6, 7)  # (French + <eos>, English + <eos>)
    torch.testing.assert_close(alignment.weights.sum(dim=1), torch.ones(6))
    assert alignment.unknown_src == ["zorglub"] and alignment.unknown_tgt == []
    with pytest.raises(ValueError, match="French sentence is empty"):
        translator.align("i have a car .", "   ")
    with pytest.raises(TypeError, match="English sentence is a int"):
        translator.align(3, "une voiture .")
    with pytest.raises(ValueError, match="attention"):
        load_pretrained("no-attention").align("go .", "va !")


def test_argmax_links_accuracy_and_aer_on_a_hand_made_matrix():
    # Rows: French "une", "voiture", "rouge", <eos>; columns: English "a", "red", "car", <eos>.
    weights = torch.tensor([[0.7, 0.1, 0.1, 0.1],
                            [0.1, 0.2, 0.6, 0.1],
                            [0.1, 0.3, 0.5, 0.1],  # "rouge" looks at "car": wrong
                            [0.0, 0.0, 0.0, 1.0]])
    assert argmax_links(weights) == {(0, 0), (2, 1), (2, 2)}
    gold = [(0, 0), (2, 1), (1, 2)]  # a-une, car-voiture, red-rouge
    assert argmax_accuracy(weights, gold) == pytest.approx(2 / 3)
    assert alignment_error_rate(argmax_links(weights), gold) == pytest.approx(1 - 2 * 2 / 6)
    assert alignment_error_rate(gold, gold) == 0.0
    assert alignment_error_rate([(0, 1)], gold) == 1.0
    with pytest.raises(ValueError):
        argmax_accuracy(weights, [])


def test_the_shipped_attention_model_aligns_the_gold_set_better_than_an_untrained_twin():
    from bahdanau.alignment import evaluate_alignments, gold_alignments
    from bahdanau.models import ModelConfig, make_model
    from bahdanau.training import set_seed

    translator = load_pretrained("attention")
    trained = evaluate_alignments(translator.model, translator.src_vocab, translator.tgt_vocab)
    set_seed(0)
    untrained = make_model(ModelConfig(**{**translator.metadata["training"]["model"],
                                          "src_vocab_size": len(translator.src_vocab),
                                          "tgt_vocab_size": len(translator.tgt_vocab)})).eval()
    baseline = evaluate_alignments(untrained, translator.src_vocab, translator.tgt_vocab)
    assert trained["pairs"] == len(gold_alignments()) >= 40
    assert trained["linked_french_tokens"] == baseline["linked_french_tokens"]
    assert trained["argmax_accuracy"] > baseline["argmax_accuracy"] + 0.1
    assert trained["aer"] < baseline["aer"] - 0.1
    assert 0 <= trained["aer"] <= 1
