"""Tests for bahdanau.decoding: greedy decoding, beam search and translate."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import pytest
import torch
from helpers import (  # noqa: F401  (one_cpu_thread is an autouse fixture)
    SRC_VOCAB,
    TGT_VOCAB,
    TOY_PAIRS,
    TOY_TEXT,
    one_cpu_thread,
    overfit_lstm_model,
    overfit_model,
    teacher_forced_log_prob,
    untrained_model,
)
from torch import nn

from bahdanau.data import EOS, encode_sources, tokenize
from bahdanau.decoding import (
    Hypothesis,
    Translation,
    beam_search,
    beam_search_tree,
    default_max_len,
    focus_row,
    greedy_decode,
    length_penalty_factor,
    replace_unknowns,
    translate,
)
from bahdanau.interfaces import AttentionDecoder, DecoderState, DecoderStep
from bahdanau.models import Seq2SeqAttentionDecoder

BOS, EOS_INDEX = TGT_VOCAB.bos, TGT_VOCAB.eos
ENGLISH = [english for english, _ in TOY_TEXT]
# A long sentence (a few of its words unknown), to put plenty of padding next to the short ones.
LONG_SENTENCE = "I like green apples and she is very tall, they did not come home, we are happy."


def toy_sources():
    """All toy English sentences as one padded batch: src (8, S), src_valid_len (8,)."""
    return encode_sources([src for src, _ in TOY_PAIRS], SRC_VOCAB)


def targets_with_eos():
    return [TGT_VOCAB.encode(tgt) + [EOS_INDEX] for _, tgt in TOY_PAIRS]


both_models = pytest.mark.parametrize("attention", [True, False], ids=["attention", "no-attention"])


# ----------------------------------------------------------------------------------------------
# A hand-made model whose probabilities we know: p(y_t | y_{t-1}) from a table, source ignored.
# ----------------------------------------------------------------------------------------------


class _RowState(NamedTuple):
    row_ids: torch.Tensor  # (B,)

    def select(self, index: torch.Tensor) -> _RowState:
        return _RowState(self.row_ids[index])


class _BigramDecoder(nn.Module):
    def __init__(self, next_token_probs: dict[int, dict[int, float]], vocab_size: int = 5):
        super().__init__()
        table = torch.full((vocab_size, vocab_size), 1e-9)
        for previous, probs in next_token_probs.items():
            for token, prob in probs.items():
                table[previous, token] = prob
        self.register_buffer("log_table", (table / table.sum(dim=1, keepdim=True)).log())

    def init_state(self, enc_all_outputs, src_valid_len=None) -> _RowState:
        return _RowState(torch.arange(src_valid_len.shape[0]))

    def forward(self, X, state):
        return self.log_table[X], state  # (B, T, V)

    def step(self, y_prev, state):
        return DecoderStep(self.log_table[y_prev], state)  # (B, V)


class _NoEncoder(nn.Module):
    def forward(self, src, src_valid_len):
        return None, None


class BigramModel(nn.Module):
    """The model interface decoding needs, over tokens 0 pad, 1 bos, 2 eos, 3 "a", 4 "b"."""

    has_attention = False

    def __init__(self, next_token_probs: dict[int, dict[int, float]]):
        super().__init__()
        self.encoder = _NoEncoder()
        self.decoder = _BigramDecoder(next_token_probs)


A, B = 3, 4
ONE_SOURCE = (torch.tensor([[5, 6, 2]]), torch.tensor([3]))  # (1, S), (1,): ignored by BigramModel


# ----------------------------------------------------------------------------------------------
# greedy_decode
# ----------------------------------------------------------------------------------------------


@both_models
def test_greedy_reproduces_the_overfitted_targets(attention):
    model, _ = overfit_model(attention=attention)
    hypotheses = greedy_decode(model, *toy_sources(), bos_index=BOS, eos_index=EOS_INDEX, max_len=20)
    assert [hypothesis.token_ids for hypothesis in hypotheses] == targets_with_eos()
    assert all(hypothesis.score > -0.1 for hypothesis in hypotheses)  # the model is sure of itself


@both_models
def test_greedy_score_is_the_log_probability_of_its_output(attention):
    model, _ = overfit_model(attention=attention)
    untrained = untrained_model(attention=attention)
    for m in (model, untrained):
        hypotheses = greedy_decode(m, *toy_sources(), bos_index=BOS, eos_index=EOS_INDEX, max_len=6)
        for (src_words, _), hypothesis in zip(TOY_PAIRS, hypotheses):
            expected = teacher_forced_log_prob(m, src_words, hypothesis.token_ids)
            assert hypothesis.score == pytest.approx(expected, abs=1e-4)


@both_models
def test_greedy_stops_at_eos_and_respects_max_len(attention):
    src, src_valid_len = toy_sources()
    for seed in range(3):  # untrained models: some rows end early, some never do
        model = untrained_model(seed=seed, attention=attention)
        hypotheses = greedy_decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=7)
        for hypothesis in hypotheses:
            ids = hypothesis.token_ids
            assert 1 <= len(ids) <= 7
            assert EOS_INDEX not in ids[:-1]  # nothing after <eos>
            if ids[-1] != EOS_INDEX:
                assert len(ids) == 7
            if attention:
                assert hypothesis.attention.shape[0] == len(ids)  # one row per output token, <eos> included
            else:
                assert hypothesis.attention is None


def test_greedy_follows_per_row_limits():
    # "a" after "a" forever: only the limit stops it.
    model = BigramModel({BOS: {A: 1.0}, A: {A: 0.9, EOS_INDEX: 0.1}})
    src = torch.tensor([[5, 2, 0], [5, 6, 2]])
    limits = torch.tensor([2, 5])
    hypotheses = greedy_decode(model, src, torch.tensor([2, 3]), bos_index=BOS, eos_index=EOS_INDEX, max_len=limits)
    assert [hypothesis.token_ids for hypothesis in hypotheses] == [[A, A], [A, A, A, A, A]]


def test_attention_rows_sum_to_one_over_the_real_source_tokens():
    model, _ = overfit_model(attention=True)
    src, src_valid_len = toy_sources()
    for decode in (greedy_decode, beam_search):
        hypotheses = decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=20)
        for hypothesis, valid_len in zip(hypotheses, src_valid_len.tolist()):
            weights = hypothesis.attention
            assert weights.shape == (len(hypothesis.token_ids), valid_len)
            assert (weights >= 0).all()
            torch.testing.assert_close(weights.sum(dim=1), torch.ones(len(hypothesis.token_ids)))


@both_models
def test_batched_greedy_equals_one_row_at_a_time(attention):
    model = untrained_model(seed=5, attention=attention)
    src, src_valid_len = toy_sources()
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=9)
    batched = greedy_decode(model, src, src_valid_len, **common)
    for row, together in enumerate(batched):
        length = int(src_valid_len[row])
        (alone,) = greedy_decode(model, src[row : row + 1, :length], src_valid_len[row : row + 1], **common)
        assert alone.token_ids == together.token_ids
        assert alone.score == pytest.approx(together.score, abs=1e-5)
        if attention:
            torch.testing.assert_close(alone.attention, together.attention)


def test_decoding_restores_the_model_mode():
    model = untrained_model()
    model.train()
    greedy_decode(model, *toy_sources(), bos_index=BOS, eos_index=EOS_INDEX, max_len=3)
    beam_search(model, *toy_sources(), bos_index=BOS, eos_index=EOS_INDEX, max_len=3)
    assert model.training


def test_decoding_rejects_bad_inputs():
    model = untrained_model()
    src, src_valid_len = toy_sources()
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=0)
    with pytest.raises(ValueError, match="src_valid_len"):
        greedy_decode(model, src, src_valid_len[:3], bos_index=BOS, eos_index=EOS_INDEX, max_len=5)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=5, beam_size=0)


# ----------------------------------------------------------------------------------------------
# beam_search
# ----------------------------------------------------------------------------------------------


@both_models
@pytest.mark.parametrize("trained", [True, False], ids=["trained", "untrained"])
def test_beam_size_one_is_greedy(attention, trained):
    model = overfit_model(attention=attention)[0] if trained else untrained_model(seed=1, attention=attention)
    src, src_valid_len = toy_sources()
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=8)
    greedy = greedy_decode(model, src, src_valid_len, **common)
    plain = beam_search(model, src, src_valid_len, beam_size=1, length_penalty=0.0, **common)
    penalised = beam_search(model, src, src_valid_len, beam_size=1, length_penalty=0.75, **common)
    for g, p, q in zip(greedy, plain, penalised):
        assert p.token_ids == q.token_ids == g.token_ids
        assert p.score == g.score  # exactly: the same sums in the same order
        assert q.score == pytest.approx(g.score / len(g.token_ids) ** 0.75)
        if attention:
            assert torch.equal(p.attention, g.attention)
        else:
            assert p.attention is None


@both_models
def test_beam_search_reproduces_the_overfitted_targets(attention):
    model, _ = overfit_model(attention=attention)
    hypotheses = beam_search(model, *toy_sources(), bos_index=BOS, eos_index=EOS_INDEX, max_len=20, beam_size=4)
    assert [hypothesis.token_ids for hypothesis in hypotheses] == targets_with_eos()


@both_models
def test_beam_search_scores_are_length_normalised_log_probabilities(attention):
    model = untrained_model(seed=2, attention=attention)
    src, src_valid_len = toy_sources()
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=6)
    hypotheses = beam_search(model, src, src_valid_len, beam_size=3, length_penalty=0.5, **common)
    for (src_words, _), hypothesis in zip(TOY_PAIRS, hypotheses):
        ids = hypothesis.token_ids
        assert 1 <= len(ids) <= 6 and EOS_INDEX not in ids[:-1]
        if attention:
            assert hypothesis.attention.shape == (len(ids), len(src_words) + 1)
        expected = teacher_forced_log_prob(model, src_words, ids) / len(ids) ** 0.5
        assert hypothesis.score == pytest.approx(expected, abs=1e-4)


def test_beam_search_finds_what_greedy_misses():
    # Greedy takes "a" (0.55) and then ends: p(a <eos>) = 0.55 * 0.4 = 0.22.
    # A beam of 2 also keeps "b" (0.45), whose ending is likely: p(b <eos>) = 0.45 * 0.9 = 0.405.
    model = BigramModel(
        {BOS: {A: 0.55, B: 0.45}, A: {EOS_INDEX: 0.4, A: 0.3, B: 0.3}, B: {EOS_INDEX: 0.9, A: 0.05, B: 0.05}}
    )
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=5)
    (greedy,) = greedy_decode(model, *ONE_SOURCE, **common)
    (beam,) = beam_search(model, *ONE_SOURCE, beam_size=2, length_penalty=0.0, **common)
    assert greedy.token_ids == [A, EOS_INDEX] and greedy.score == pytest.approx(math.log(0.22), abs=1e-5)
    assert beam.token_ids == [B, EOS_INDEX] and beam.score == pytest.approx(math.log(0.405), abs=1e-5)


def test_length_penalty_decides_between_a_short_and_a_long_finished_hypothesis():
    # "<eos>" at once: p = 0.4 (1 token); "a <eos>": p = 0.6 * 0.6 = 0.36 (2 tokens).
    # Raw log-probability prefers the short one; dividing by the length prefers the long one.
    model = BigramModel({BOS: {EOS_INDEX: 0.4, A: 0.6}, A: {EOS_INDEX: 0.6, B: 0.4}})
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=5, beam_size=2)
    (raw,) = beam_search(model, *ONE_SOURCE, length_penalty=0.0, **common)
    (normalised,) = beam_search(model, *ONE_SOURCE, length_penalty=1.0, **common)
    (gnmt,) = beam_search(model, *ONE_SOURCE, length_penalty=1.0, penalty="gnmt", **common)
    assert raw.token_ids == [EOS_INDEX] and raw.score == pytest.approx(math.log(0.4), abs=1e-5)
    assert normalised.token_ids == [A, EOS_INDEX]
    assert normalised.score == pytest.approx(math.log(0.36) / 2, abs=1e-5)
    # GNMT's penalty divides by (5 + 2) / 6 instead of 2: log(0.36) / (7 / 6) = -0.876 > log(0.4) = -0.916.
    assert gnmt.token_ids == [A, EOS_INDEX]
    assert gnmt.score == pytest.approx(math.log(0.36) / (7 / 6), abs=1e-5)


def test_length_penalty_factor_names_both_penalties():
    assert length_penalty_factor(4, 0.5) == pytest.approx(2.0)
    assert length_penalty_factor(7, 1.0, "gnmt") == pytest.approx(2.0)
    assert length_penalty_factor(9, 0.0, "gnmt") == 1.0
    with pytest.raises(ValueError, match="gnmt"):
        beam_search(BigramModel({BOS: {EOS_INDEX: 1.0}}), *ONE_SOURCE, bos_index=BOS, eos_index=EOS_INDEX,
                    max_len=3, penalty="wu")


def test_beam_search_keeps_a_finished_hypothesis_that_leaves_the_beam():
    # Step 1: the beam of 2 is {a} (p=0.8) and {<eos>} (finished, p=0.2). Step 2: "a a" and
    # "a b" (0.4 each) push <eos> out of the beam. Later endings are all far less likely
    # ("a b <eos>": 0.004), so the early "<eos>", remembered, is still the best answer.
    model = BigramModel({BOS: {EOS_INDEX: 0.2, A: 0.8}, A: {A: 0.5, B: 0.5}, B: {EOS_INDEX: 0.01, B: 0.99}})
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=6)
    (beam,) = beam_search(model, *ONE_SOURCE, beam_size=2, length_penalty=0.0, **common)
    assert beam.token_ids == [EOS_INDEX]
    assert beam.score == pytest.approx(math.log(0.2), abs=1e-5)


class _PrefixState(NamedTuple):
    prefixes: torch.Tensor  # (B, t): the tokens fed so far, <bos> first

    def select(self, index: torch.Tensor) -> _PrefixState:
        return _PrefixState(self.prefixes[index])


class _PrefixDecoder(nn.Module):
    """p(y_t | y_<t) from a table keyed by the whole prefix; unlisted prefixes go on with "g" (0.99)."""

    def __init__(self, table: dict[tuple[int, ...], dict[int, float]], vocab_size: int, babble: int):
        super().__init__()
        self.table, self.vocab_size, self.babble = table, vocab_size, babble

    def init_state(self, enc_all_outputs, src_valid_len=None) -> _PrefixState:
        return _PrefixState(torch.zeros((src_valid_len.shape[0], 0), dtype=torch.long))

    def step(self, y_prev, state):
        prefixes = torch.cat((state.prefixes, y_prev[:, None]), dim=1)  # (B, t + 1)
        rows = []
        for prefix in prefixes.tolist():
            probs = torch.full((self.vocab_size,), 1e-12)
            for token, prob in self.table.get(tuple(prefix[1:]), {EOS_INDEX: 0.01, self.babble: 0.99}).items():
                probs[token] = prob
            rows.append(probs.log())
        return DecoderStep(torch.stack(rows), _PrefixState(prefixes))  # (B, V)


A, C, X, Y, Z, G = 3, 4, 5, 6, 7, 8  # the tokens of _refill_model


def _refill_model() -> nn.Module:
    """A model whose next-token probabilities depend only on the prefix (tokens a=3, c=4, x=5, y=6,
    z=7, babble g=8): the case where a finished hypothesis must leave its beam slot to a live one."""
    table = {
        (): {EOS_INDEX: 0.3, A: 0.5, C: 0.2},
        (A,): {EOS_INDEX: 0.2, X: 0.8},
        (A, X): {EOS_INDEX: 0.05, Y: 0.95},
        (C,): {EOS_INDEX: 0.9, Z: 0.1},
    }
    model = nn.Module()
    model.encoder, model.decoder = _NoEncoder(), _PrefixDecoder(table, vocab_size=9, babble=G)
    return model


def test_beam_search_refills_the_beam_when_a_hypothesis_finishes():
    # Tokens a=3, c=4, x=5, y=6, z=7, g=8. With k = 2 and alpha = 0.75:
    #   "<eos>"    p = 0.3            score log(0.3) / 1            = -1.204
    #   "c <eos>"  p = 0.2 * 0.9      score log(0.18) / 2 ** 0.75   = -1.020  (the best)
    #   "a <eos>"  p = 0.5 * 0.2; "a x <eos>" p = 0.4 * 0.05; "a x y ..." babbles on.
    # Textbook beam search moves "<eos>" to the finished pool after step 1 and keeps two live
    # hypotheses, "a" and "c", so it finds "c <eos>" at step 2. Keeping "<eos>" in its beam slot
    # with a frozen score (the old algorithm) leaves one live slot, filled by the "a x y ..."
    # line, and returns "<eos>".
    model = _refill_model()
    (beam,) = beam_search(model, *ONE_SOURCE, bos_index=BOS, eos_index=EOS_INDEX, max_len=6, beam_size=2,
                          length_penalty=0.75)
    assert beam.token_ids == [C, EOS_INDEX]
    assert beam.score == pytest.approx(math.log(0.18) / 2**0.75, abs=1e-5)


def test_beam_search_without_any_ending_returns_the_best_cut_off_hypothesis():
    model = BigramModel({BOS: {A: 0.7, B: 0.3}, A: {A: 0.9, B: 0.1}, B: {B: 1.0}})
    src = torch.tensor([[5, 2], [5, 2]])
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=torch.tensor([3, 4]))
    hypotheses = beam_search(model, src, torch.tensor([2, 2]), beam_size=3, length_penalty=0.0, **common)
    assert [hypothesis.token_ids for hypothesis in hypotheses] == [[A, A, A], [A, A, A, A]]


def test_beam_larger_than_the_vocabulary_still_works():
    model = BigramModel({BOS: {A: 0.5, B: 0.5}, A: {EOS_INDEX: 1.0}, B: {EOS_INDEX: 1.0}})
    (beam,) = beam_search(model, *ONE_SOURCE, bos_index=BOS, eos_index=EOS_INDEX, max_len=4, beam_size=8)
    assert beam.token_ids in ([A, EOS_INDEX], [B, EOS_INDEX]) and math.isfinite(beam.score)


# ----------------------------------------------------------------------------------------------
# translate
# ----------------------------------------------------------------------------------------------


@both_models
@pytest.mark.parametrize("beam_size", [1, 3])
def test_translate_gives_back_the_learnt_sentences(attention, beam_size):
    model, _ = overfit_model(attention=attention)
    translations = translate(model, ENGLISH, SRC_VOCAB, TGT_VOCAB, beam_size=beam_size)
    assert [t.tokens for t in translations] == [tgt for _, tgt in TOY_PAIRS]
    for translation, (src_words, tgt_words) in zip(translations, TOY_PAIRS):
        assert translation.text == " ".join(tgt_words)
        assert translation.src_tokens == [*src_words, EOS]
        assert translation.unknown == [] and not translation.truncated and translation.finished
        if attention:
            assert translation.attention.shape == (len(translation.tokens) + 1, len(translation.src_tokens))
        else:
            assert translation.attention is None


@both_models
@pytest.mark.parametrize("beam_size", [1, 4])
def test_a_sentence_gets_the_same_translation_alone_and_in_a_batch(attention, beam_size):
    models = [overfit_model(attention=attention)[0], untrained_model(seed=4, attention=attention)]
    sentences = [*ENGLISH, LONG_SENTENCE, "go home, zebra!"]
    for model in models:
        together = translate(model, sentences, SRC_VOCAB, TGT_VOCAB, beam_size=beam_size)
        for sentence, in_batch in zip(sentences, together):
            alone = translate(model, sentence, SRC_VOCAB, TGT_VOCAB, beam_size=beam_size)
            assert alone.tokens == in_batch.tokens
            assert alone.score == pytest.approx(in_batch.score, abs=1e-5)
            if attention:
                torch.testing.assert_close(alone.attention, in_batch.attention)


@pytest.mark.parametrize("beam_size", [1, 4])
def test_a_learners_lstm_decoder_works_in_greedy_beam_search_and_translate(beam_size):
    model = overfit_lstm_model()
    # It keeps the declared protocols without inheriting from the package's decoder.
    assert isinstance(model.decoder, AttentionDecoder) and not isinstance(model.decoder, Seq2SeqAttentionDecoder)
    src, src_valid_len = toy_sources()
    assert isinstance(model.decoder.init_state(model.encoder(src, src_valid_len), src_valid_len), DecoderState)
    translations = translate(model, ENGLISH, SRC_VOCAB, TGT_VOCAB, beam_size=beam_size)
    assert [t.tokens for t in translations] == [tgt for _, tgt in TOY_PAIRS]
    for translation in translations:
        assert translation.finished
        assert translation.attention.shape == (len(translation.tokens) + 1, len(translation.src_tokens))
        torch.testing.assert_close(translation.attention.sum(dim=1), torch.ones(len(translation.tokens) + 1))
    # Beam search reorders the LSTM's two states (hidden and cell) with its select(): a sentence
    # gets the same result alone as next to a long, padded one.
    together = translate(model, [ENGLISH[0], LONG_SENTENCE], SRC_VOCAB, TGT_VOCAB, beam_size=beam_size)
    assert together[0].tokens == translations[0].tokens
    torch.testing.assert_close(together[0].attention, translations[0].attention)


def test_beam_size_one_is_greedy_for_the_lstm_decoder_too():
    model = overfit_lstm_model()
    src, src_valid_len = encode_sources([tokenize(LONG_SENTENCE), TOY_PAIRS[2][0]], SRC_VOCAB)
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=12)
    for greedy, beam in zip(greedy_decode(model, src, src_valid_len, **common),
                            beam_search(model, src, src_valid_len, beam_size=1, length_penalty=0.0, **common)):
        assert greedy.token_ids == beam.token_ids
        assert greedy.score == pytest.approx(beam.score, abs=1e-5)
        torch.testing.assert_close(greedy.attention, beam.attention)


def test_translate_one_string_returns_one_translation():
    model, _ = overfit_model(attention=True)
    translation = translate(model, "  HE RUNS.  ", SRC_VOCAB, TGT_VOCAB)
    assert isinstance(translation, Translation)
    assert translation.text == str(translation) == "il court ."
    assert translation.src_tokens == ["he", "runs", ".", EOS]
    assert repr(translation).startswith("Translation('il court .', score=")
    assert translate(model, [], SRC_VOCAB, TGT_VOCAB) == []
    assert translate(model, ("go.",), SRC_VOCAB, TGT_VOCAB)[0].text == "va !"


def test_translate_reports_unknown_words():
    model, _ = overfit_model(attention=True)
    translation = translate(model, "The zebra runs. The zebra jumps.", SRC_VOCAB, TGT_VOCAB)
    assert translation.unknown == ["the", "zebra", "jumps"]  # each once, in order
    assert translation.src_tokens == ["the", "zebra", "runs", ".", "the", "zebra", "jumps", ".", EOS]
    assert "unknown=['the', 'zebra', 'jumps']" in repr(translation)


def test_translate_rejects_empty_sentences_and_says_which():
    model, _ = overfit_model(attention=True)
    with pytest.raises(ValueError, match="empty"):
        translate(model, "", SRC_VOCAB, TGT_VOCAB)
    with pytest.raises(ValueError, match=r"sentence 1 of the list is empty or only whitespace"):
        translate(model, ["go.", " \t\n", "help!"], SRC_VOCAB, TGT_VOCAB)


def test_translate_rejects_non_strings():
    model, _ = overfit_model(attention=True)
    with pytest.raises(TypeError, match="string"):
        translate(model, 42, SRC_VOCAB, TGT_VOCAB)
    with pytest.raises(TypeError, match=r"sentence 2 of the list is a int"):
        translate(model, ["go.", "help!", 7], SRC_VOCAB, TGT_VOCAB)
    with pytest.raises(TypeError):
        translate(model, [["go", "."]], SRC_VOCAB, TGT_VOCAB)  # already tokenized: not accepted


def test_translate_truncates_long_input_with_a_warning():
    model, _ = overfit_model(attention=True)
    long_input = " ".join(["go"] * 30)
    with pytest.warns(UserWarning, match=r"30 tokens; only the first 12"):
        translation = translate(model, ["help!", long_input], SRC_VOCAB, TGT_VOCAB, max_src_len=12)[1]
    assert translation.truncated
    assert translation.src_tokens == ["go"] * 12 + [EOS]
    assert translation.attention.shape[1] == 13
    assert len(translation.tokens) + 1 <= default_max_len(12)


def test_translate_marks_output_cut_at_max_len():
    model, _ = overfit_model(attention=True)
    translation = translate(model, "They did not come home.", SRC_VOCAB, TGT_VOCAB, max_len=2)
    assert translation.tokens == ["ils", "ne"] and not translation.finished
    assert translation.attention.shape == (2, 7)  # no <eos> row; 6 source tokens + <eos>
    assert "finished=False" in repr(translation)


def test_hypothesis_is_a_plain_tuple():
    ids, attention, score = Hypothesis([1, 2], None, -0.5)
    assert ids == [1, 2] and attention is None and score == -0.5


# ----------------------------------------------------------------------------------------------
# replace_unk: a scripted attention decoder whose outputs and weights we choose
# ----------------------------------------------------------------------------------------------


class _StepState(NamedTuple):
    steps: torch.Tensor  # (B,): how many tokens each row has written
    src_len: torch.Tensor  # (B,)

    def select(self, index: torch.Tensor) -> _StepState:
        return _StepState(self.steps[index], self.src_len[index])


class _ScriptedDecoder(nn.Module):
    """Writes ``script`` token by token; at step t its weights are ``weights[t]`` over the source.

    Each entry of ``weights`` is a list of (source position, weight) pairs; the rest of the row
    shares what is left. Position -1 is the source's ``<eos>``.
    """

    def __init__(self, script: list[int], weights: list[list[tuple[int, float]]]):
        super().__init__()
        self.script, self.weights = script, weights

    def init_state(self, enc_all_outputs, src_valid_len=None) -> _StepState:
        return _StepState(torch.zeros_like(src_valid_len), src_valid_len)

    def step(self, y_prev, state):
        B, S = y_prev.shape[0], int(state.src_len.max())
        logits = torch.full((B, len(TGT_VOCAB)), -20.0)
        rows = torch.zeros(B, S)
        for row, (step, src_len) in enumerate(zip(state.steps.tolist(), state.src_len.tolist())):
            step = min(step, len(self.script) - 1)
            logits[row, self.script[step]] = 0.0
            chosen = dict((position % src_len, weight) for position, weight in self.weights[step])
            rest = (1 - sum(chosen.values())) / (src_len - len(chosen))
            rows[row, :src_len] = torch.tensor([chosen.get(j, rest) for j in range(src_len)])
        return DecoderStep(logits, state._replace(steps=state.steps + 1), weights=rows)  # (B, V), (B, S)


class _ScriptedModel(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.encoder, self.decoder = _NoEncoder(), decoder


def _copy_model():
    """Writes "<unk> court <unk> <eos>": the first <unk> attends to source word 1, the second
    puts its largest weight on the source's <eos> and its second largest on word 2."""
    unk, court = TGT_VOCAB.unk, TGT_VOCAB.encode(["court"])[0]
    script = [unk, court, unk, EOS_INDEX]
    weights = [[(1, 0.7)], [(0, 0.6)], [(-1, 0.5), (2, 0.4)], [(-1, 0.9)]]
    return _ScriptedModel(_ScriptedDecoder(script, weights))


@pytest.mark.parametrize("beam_size", [1, 3], ids=["greedy", "beam"])
def test_replace_unk_copies_the_source_word_each_unk_step_attends_to(beam_size):
    model = _copy_model()
    # "Zorglub" and "42" are unknown to SRC_VOCAB: exactly the words the heuristic is for.
    plain = translate(model, "He Zorglub 42 runs.", SRC_VOCAB, TGT_VOCAB, beam_size=beam_size)
    assert plain.tokens == ["<unk>", "court", "<unk>"] and plain.copied == []
    copied = translate(model, "He Zorglub 42 runs.", SRC_VOCAB, TGT_VOCAB, beam_size=beam_size, replace_unk=True)
    # Step 0 attends to word 1; step 2's largest weight is on <eos>, so its best word (2) is copied.
    assert copied.tokens == ["zorglub", "court", "42"]
    assert copied.copied == [0, 2]
    assert torch.equal(copied.attention, plain.attention) and copied.score == plain.score
    assert copied.unknown == ["zorglub", "42"]
    assert "copied=[0, 2]" in repr(copied)


def test_replace_unk_leaves_a_translation_without_unk_unchanged():
    model, _ = overfit_model(attention=True)
    for english, _ in TOY_TEXT:
        copied = translate(model, english, SRC_VOCAB, TGT_VOCAB, replace_unk=True)
        plain = translate(model, english, SRC_VOCAB, TGT_VOCAB)
        assert "<unk>" not in plain.tokens
        assert copied.tokens == plain.tokens and copied.copied == []
        assert torch.equal(copied.attention, plain.attention)


def test_replace_unk_needs_attention_and_keeps_translates_input_errors():
    no_attention, _ = overfit_model(attention=False)
    with pytest.raises(ValueError, match="replace_unk needs attention weights"):
        translate(no_attention, "go.", SRC_VOCAB, TGT_VOCAB, replace_unk=True)
    with pytest.raises(ValueError, match="needs attention weights"):
        replace_unknowns(Translation(["<unk>"], None, ["go", EOS]))
    model = _copy_model()
    with pytest.raises(ValueError, match="empty or only whitespace"):
        translate(model, "  ", SRC_VOCAB, TGT_VOCAB, replace_unk=True)
    with pytest.raises(TypeError, match="string"):
        translate(model, 3, SRC_VOCAB, TGT_VOCAB, replace_unk=True)


# ----------------------------------------------------------------------------------------------
# beam_search_tree
# ----------------------------------------------------------------------------------------------


def test_beam_search_tree_records_what_the_search_kept_and_its_answer():
    # The model of test_beam_search_refills_the_beam_when_a_hypothesis_finishes (k = 2).
    model = _refill_model()
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=6, beam_size=2, length_penalty=0.75)
    tree = beam_search_tree(model, *ONE_SOURCE, **common)
    (beam,) = beam_search(model, *ONE_SOURCE, **common)
    assert tree.best == beam
    # Step 1: "<eos>" leaves the beam (finished), "a" and "c" stay live.
    first = [(node.token_id, node.score is not None) for node in tree.nodes if node.step == 1]
    assert first == [(EOS_INDEX, True), (A, False), (C, False)]
    assert tree.nodes[0].score == pytest.approx(math.log(0.3), abs=1e-5)
    # The winner is "c <eos>", with its length-normalised score.
    winner = tree.nodes[tree.winner]
    assert [tree.nodes[i].token_id for i in tree.path(tree.winner)] == [C, EOS_INDEX]
    assert winner.score == pytest.approx(math.log(0.18) / 2**0.75, abs=1e-5) == beam.score
    for index, node in enumerate(tree.nodes):
        # Each node's total is the sum of its path's own log-probabilities.
        path_sum = sum(tree.nodes[i].log_prob for i in tree.path(index))
        assert node.total == pytest.approx(path_sum, abs=1e-4)
        assert (node.score is not None) == (node.token_id == EOS_INDEX)
    steps = {node.step for node in tree.nodes}
    for step in steps:
        assert sum(node.step == step and node.score is None for node in tree.nodes) <= 2


def test_beam_search_tree_of_a_real_model_gives_beam_searchs_answer():
    model = untrained_model(seed=2, attention=True)
    src, src_valid_len = encode_sources([tokenize("she is happy .")], SRC_VOCAB)
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=6, beam_size=3)
    tree = beam_search_tree(model, src, src_valid_len, **common)
    (beam,) = beam_search(model, src, src_valid_len, **common)
    assert tree.best.token_ids == beam.token_ids and tree.best.score == pytest.approx(beam.score)
    assert [tree.nodes[i].token_id for i in tree.path(tree.winner)] == beam.token_ids


def test_beam_search_tree_takes_one_sentence():
    with pytest.raises(ValueError, match="one sentence"):
        beam_search_tree(untrained_model(seed=2, attention=True), *toy_sources(), bos_index=BOS,
                         eos_index=EOS_INDEX, max_len=5)


# ----------------------------------------------------------------------------------------------
# Steering the attention: greedy_decode's and translate's override
# ----------------------------------------------------------------------------------------------


def _own_weights(model, src, src_valid_len, step):
    """The weights (B, S) the model itself uses at output ``step`` of greedy decoding, padded."""
    hypotheses = greedy_decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=9)
    rows = torch.zeros(src.shape)
    for row, hypothesis in enumerate(hypotheses):
        if step < len(hypothesis.token_ids):
            rows[row, : hypothesis.attention.shape[1]] = hypothesis.attention[step]
        else:  # this sentence has stopped: any valid row will do, it is never used
            rows[row, 0] = 1.0
    return hypotheses, rows


@pytest.mark.parametrize("step", [0, 2])
def test_an_override_equal_to_the_models_own_weights_changes_nothing(step):
    src, src_valid_len = toy_sources()
    for model in (overfit_model(attention=True)[0], untrained_model(seed=3)):
        plain, own = _own_weights(model, src, src_valid_len, step)
        steered = greedy_decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=9,
                                override={step: own})
        for before, after in zip(plain, steered):
            assert after.token_ids == before.token_ids
            assert after.score == pytest.approx(before.score, abs=1e-5)
            torch.testing.assert_close(after.attention, before.attention)


def test_an_override_on_step_i_leaves_the_steps_before_it_alone_and_is_used_at_i():
    model = untrained_model(seed=4)
    src, src_valid_len = toy_sources()
    plain = greedy_decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=9)
    step = 2
    focus = torch.zeros(src.shape)
    focus[:, 0] = 1.0  # every sentence's first word
    steered = greedy_decode(model, src, src_valid_len, bos_index=BOS, eos_index=EOS_INDEX, max_len=9,
                            override={step: focus})
    changed = 0
    for before, after, valid in zip(plain, steered, src_valid_len.tolist()):
        reached = min(len(before.token_ids), len(after.token_ids))
        assert after.token_ids[: min(step, reached)] == before.token_ids[: min(step, reached)]
        torch.testing.assert_close(after.attention[:step], before.attention[:step])
        if len(after.token_ids) > step:
            torch.testing.assert_close(after.attention[step], focus[0, :valid])
            changed += after.token_ids[step:] != before.token_ids[step:]
    assert changed > 0  # the override is not a no-op: some sentence's words change from step 2 on


def test_translate_steers_one_sentence_and_says_which_steps_it_reached():
    model, _ = overfit_model(attention=True)
    sentence = ENGLISH[0]
    plain = translate(model, sentence, SRC_VOCAB, TGT_VOCAB)
    length = len(plain.src_tokens)
    far = len(plain.tokens) + 5  # beyond the last output step: never reached
    steered = translate(model, sentence, SRC_VOCAB, TGT_VOCAB,
                        override={1: focus_row(length, length - 1), far: focus_row(length, 0)})
    assert steered.steered == [1]
    assert steered.attention[1].tolist() == focus_row(length, length - 1)
    assert steered.tokens[:1] == plain.tokens[:1]
    assert "steered=[1]" in repr(steered)
    assert plain.steered == [] and "steered" not in repr(plain)
    # The model's own row, handed back as a plain list of floats, changes nothing.
    same = translate(model, sentence, SRC_VOCAB, TGT_VOCAB, override={1: plain.attention[1].tolist()})
    assert same.tokens == plain.tokens and same.steered == [1]


def test_focus_row_puts_all_the_weight_on_one_token():
    assert focus_row(4, 2) == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        focus_row(4, 4)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([0.5, 0.5], "has 2 weights, but the source has 4 tokens"),
        ([1.5, -0.5, 0.0, 0.0], "negative or undefined"),
        ([float("nan"), 1.0, 0.0, 0.0], "negative or undefined"),
        ([0.5, 0.4, 0.0, 0.0], "sum to 0.9000, not 1"),
        ([0.0, 0.0, 0.0, 0.0], "sum to 0.0000, not 1"),
    ],
)
def test_translate_explains_an_invalid_override_row(row, message):
    model, _ = overfit_model(attention=True)
    sentence = "he is tall"  # 3 words and <eos>: 4 tokens
    assert len(tokenize(sentence)) == 3
    with pytest.raises(ValueError, match=rf"the override for step 0.*{re.escape(message)}"):
        translate(model, sentence, SRC_VOCAB, TGT_VOCAB, override={0: row})


def test_greedy_decode_rejects_weight_on_padding_and_bad_steps():
    model = untrained_model()
    src, src_valid_len = toy_sources()
    shortest = int(src_valid_len.argmin())
    rows = torch.zeros(src.shape)
    rows[:, 0] = 0.5
    rows[:, -1] = 0.5  # the last column is padding for every sentence shorter than the longest
    common = dict(bos_index=BOS, eos_index=EOS_INDEX, max_len=5)
    with pytest.raises(ValueError, match=rf"step 1 \(sentence {shortest}\) puts weight on padding"):
        greedy_decode(model, src, src_valid_len, override={1: rows}, **common)
    with pytest.raises(ValueError, match="one row of weights per sentence"):
        greedy_decode(model, src, src_valid_len, override={1: rows[:3]}, **common)
    for bad_step in (-1, 1.5, True):
        with pytest.raises(ValueError, match="whole number from 0"):
            greedy_decode(model, src, src_valid_len, override={bad_step: rows}, **common)


def test_override_needs_attention_one_sentence_and_greedy_decoding():
    no_attention, _ = overfit_model(attention=False)
    with pytest.raises(ValueError, match="no attention to steer"):
        translate(no_attention, "he is tall", SRC_VOCAB, TGT_VOCAB, override={0: focus_row(4, 0)})
    model, _ = overfit_model(attention=True)
    with pytest.raises(ValueError, match="one sentence"):
        translate(model, ["he is tall"], SRC_VOCAB, TGT_VOCAB, override={0: focus_row(4, 0)})
    with pytest.raises(ValueError, match="beam_size=1"):
        translate(model, "he is tall", SRC_VOCAB, TGT_VOCAB, beam_size=2, override={0: focus_row(4, 0)})
