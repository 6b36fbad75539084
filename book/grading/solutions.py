"""Reference solutions of the exercises, one per checker.

The book's solution dropdowns show these with ``literalinclude``;
``make_assignments.REFERENCES`` ties each one (the object, listed in
``__all__``) to the checker it answers, and ``tests/test_exercises.py`` runs
each through that checker, so a published solution can never stop passing.
Read them after trying; the checkers accept any correct answer, not only
these.

They live outside the package, so the wheel every student installs holds no
solution; the checkers work their answers out on their own. Import this file
from its folder (``import solutions`` with book/grading on the path, as
pytest's pythonpath has it), or load it by its path.

Shapes: B batch, Q queries, K keys, S source length, T target length,
E embedding size, H hidden size, V vocabulary size, L layers.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from bahdanau.attention import AdditiveAttention, masked_softmax
from bahdanau.decoding import focus_row
from bahdanau.exercises.lab import reading_translation
from bahdanau.exercises.problems import (
    AER_BY_HAND,
    BATCH_TARGETS,
    BEAM_ALPHAS,
    BEAM_HYPOTHESES,
    BLEU_BY_HAND,
    DECODER_SHAPES,
    ENCODER_SHAPES,
    READING,
    WEIGHT_BY_HAND,
)
from bahdanau.interfaces import DecoderStep
from bahdanau.metrics import bleu
from bahdanau.models import (
    ModelConfig,
    Seq2SeqAttentionDecoder,
    Seq2SeqEncoder,
    make_model,
)

__all__ = [
    "encoder_shapes",
    "parameter_count",
    "BidirectionalEncoder",
    "attention_weight_by_hand",
    "additive_attention_weights",
    "DotProductAttention",
    "decoder_shapes",
    "FixedAttentionDecoder",
    "LSTMAttentionDecoder",
    "batch_targets",
    "masked_cross_entropy",
    "attention_entropy",
    "bleu_by_hand",
    "length_normalised_score",
    "beam_winners",
    "aer_by_hand",
    "read_alignment",
    "read_total_attention",
    "read_certainty",
    "read_failure",
    "first_step_that_writes",
    "read_one_word_late",
]


# ----------------------------------------------------------------------------
# Chapter 1
# ----------------------------------------------------------------------------


def encoder_shapes() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Run the exercise's encoder and read the shapes off.

    ((B, S, H), (L, B, H)) for the encoder's outputs and final state.
    """
    p = ENCODER_SHAPES
    encoder = Seq2SeqEncoder(
        p["vocab_size"], p["embed_size"], p["num_hiddens"], p["num_layers"]
    )
    B, S = p["batch_size"], p["src_len"]
    src = torch.zeros(B, S, dtype=torch.long)  # (B, S)
    enc_outputs, hidden_state = encoder(src)
    # (4, 7, 16), (2, 4, 16)
    return tuple(enc_outputs.shape), tuple(hidden_state.shape)


def parameter_count(
    vocab_size: int = 100, embed_size: int = 8, num_hiddens: int = 16
) -> int:
    """Parameters of a one-layer ``Seq2SeqEncoder``, counted by hand."""
    embedding = vocab_size * embed_size  # one E-vector per word
    # A GRU has three blocks of weights: the reset gate, the update gate and
    # the candidate state. Each has an input matrix (H x E), a recurrent
    # matrix (H x H) and, in PyTorch, two bias vectors of size H (b_ih, b_hh).
    gru = 3 * (num_hiddens * embed_size  # input matrix
               + num_hiddens * num_hiddens  # recurrent matrix
               + 2 * num_hiddens)  # the two biases
    return embedding + gru  # 800 + 1248 = 2048


class BidirectionalEncoder(nn.Module):
    """The paper's encoder (section 3.2).

    Annotations ``h_j = [->h_j ; <-h_j]`` of size 2H. ``forward(X,
    valid_lens)`` with X (B, S) and valid_lens (B,) returns the annotations
    (B, S, 2H), zero at padded positions, and the decoder's first state
    ``s_0 = tanh(W_s <-h_1)`` (appendix A.2.2) as (1, B, H).
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(
            embed_size, num_hiddens, batch_first=True, bidirectional=True
        )
        self.bridge = nn.Linear(num_hiddens, num_hiddens)  # the paper's W_s

    def forward(
        self, X: Tensor, valid_lens: Tensor
    ) -> tuple[Tensor, Tensor]:
        embs = self.embedding(X)  # (B, S, E)
        # Packing tells the GRU where each sentence ends, so the backward
        # direction starts at the last real token instead of reading the
        # padding first.
        packed = pack_padded_sequence(embs, valid_lens.cpu(),
                                      batch_first=True, enforce_sorted=False)
        # final: (2, B, H), [->h_last, <-h_1]
        packed_outputs, final = self.rnn(packed)
        # (B, S, 2H)
        enc_outputs, _ = pad_packed_sequence(
            packed_outputs, batch_first=True, total_length=X.shape[1]
        )
        # (1, B, H)
        hidden_state = torch.tanh(self.bridge(final[1])).unsqueeze(0)
        return enc_outputs, hidden_state


# ----------------------------------------------------------------------------
# Chapter 2
# ----------------------------------------------------------------------------


def attention_weight_by_hand() -> float:
    """alpha_1 of the exercise.

    Score every real key, then a softmax over the real keys only.
    """
    p = WEIGHT_BY_HAND
    n = p["valid_len"]
    keys = p["keys"][:n]  # the padded key takes no part
    # e_j, shape (n,)
    scores = torch.tanh(p["W_q"] @ p["query"] + keys @ p["W_k"].T) @ p["w_v"]
    return float(torch.softmax(scores, dim=0)[0])  # 0.869


def additive_attention_weights(
    queries: Tensor,
    keys: Tensor,
    valid_lens: Tensor,
    W_q: Tensor,
    W_k: Tensor,
    w_v: Tensor,
) -> Tensor:
    """alpha = masked softmax of e = w_v^T tanh(W_q q + W_k k), by hand.

    As plain tensor operations. queries (B, Q, query_size), keys
    (B, K, key_size), valid_lens (B,), W_q (h, query_size), W_k
    (h, key_size), w_v (h,). Returns the weights (B, Q, K), 0 beyond each
    valid length.
    """
    # (B, Q, K, h)
    features = torch.tanh(
        (queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)
    )
    scores = features @ w_v  # (B, Q, K)
    K = keys.shape[1]
    real = torch.arange(K) < valid_lens[:, None, None]  # (B, 1, K)
    # exp(-inf) = 0: padded keys get exactly no weight (every row has at
    # least one real key).
    return torch.softmax(scores.masked_fill(~real, float("-inf")), dim=-1)


class DotProductAttention(nn.Module):
    """Luong et al.'s "dot" scoring, ``score(s, h_j) = s^T h_j``.

    With AdditiveAttention's interface:
    ``forward(*, queries, keys, values, valid_lens)``: queries (B, Q, D),
    keys (B, K, D), values (B, K, D_v), valid_lens (B,) or None. Returns the
    context (B, Q, D_v) and the weights (B, Q, K). No parameters: queries and
    keys must have the same size.
    """

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        *,
        queries: Tensor,
        keys: Tensor,
        values: Tensor,
        valid_lens: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        # (B, Q, K): one dot product per pair
        scores = torch.bmm(queries, keys.transpose(1, 2))
        weights = masked_softmax(scores, valid_lens)  # (B, Q, K)
        context = torch.bmm(self.dropout(weights), values)  # (B, Q, D_v)
        return context, weights


# ----------------------------------------------------------------------------
# Chapter 3
# ----------------------------------------------------------------------------


def decoder_shapes() -> tuple[tuple[int, ...], ...]:
    """Run the exercise's model.

    Three shapes: those of the logits, attention weights and hidden state.
    """
    p = DECODER_SHAPES
    config = ModelConfig(
        p["src_vocab_size"],
        p["tgt_vocab_size"],
        p["embed_size"],
        p["num_hiddens"],
        p["num_layers"],
    )
    model = make_model(config)
    B = p["batch_size"]
    src = torch.zeros(B, p["src_len"], dtype=torch.long)  # (B, S)
    tgt_in = torch.zeros(B, p["tgt_len"], dtype=torch.long)  # (B, T)
    state = model.decoder.init_state(model.encoder(src), None)
    logits, state = model.decoder(tgt_in, state)
    # (B, T, V), (B, T, S), (L, B, H)
    return (
        tuple(logits.shape),
        tuple(model.decoder.attention_weights.shape),
        tuple(state.hidden_state.shape),
    )


# The bug of BuggyAttentionDecoder is in init_state; the package's decoder is
# the fixed version.
FixedAttentionDecoder = Seq2SeqAttentionDecoder


class LSTMState(NamedTuple):
    """What :class:`LSTMAttentionDecoder` carries between steps.

    An LSTM also has a cell state.
    """

    enc_outputs: Tensor  # (B, S, H)
    hidden_state: Tensor  # (L, B, H)
    cell_state: Tensor  # (L, B, H)
    enc_valid_lens: Tensor | None  # (B,)

    def select(self, index: Tensor) -> "LSTMState":
        """Keep (and reorder) batch rows ``index``.

        That is what beam search needs (interfaces.DecoderState).
        """
        if self.enc_valid_lens is not None:
            valid_lens = self.enc_valid_lens[index]
        else:
            valid_lens = None
        return LSTMState(
            self.enc_outputs[index],
            self.hidden_state[:, index],
            self.cell_state[:, index],
            valid_lens,
        )


class LSTMAttentionDecoder(nn.Module):
    """The attention decoder with an LSTM in place of the GRU.

    Same constructor and interface as
    :class:`~bahdanau.models.Seq2SeqAttentionDecoder` (the
    :class:`~bahdanau.interfaces.AttentionDecoder` protocol):
    ``init_state((enc_outputs, hidden_state), enc_valid_lens)`` then
    ``forward(X, state)`` with X (B, T) returns logits (B, T, V) and the new
    state, and sets ``attention_weights`` (B, T, S). ``step(y_prev, state)``
    is one step, which translate and beam search call.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int,
        dropout: float = 0.0,
    ):
        super().__init__()
        # Keys (encoder outputs) and queries (the LSTM's h): num_hiddens each.
        self.attention = AdditiveAttention(
            key_size=num_hiddens, query_size=num_hiddens,
            num_hiddens=num_hiddens, dropout=dropout,
        )
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.LSTM(
            embed_size + num_hiddens, num_hiddens, num_layers,
            batch_first=True, dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.attention_weights: Tensor | None = None

    def init_state(self, enc_all_outputs, enc_valid_lens=None) -> LSTMState:
        # (B, S, H), (L, B, H) from the GRU encoder
        enc_outputs, hidden_state = enc_all_outputs
        # The GRU encoder has no cell state to hand over: the LSTM's memory
        # starts empty.
        return LSTMState(enc_outputs, hidden_state,
                         torch.zeros_like(hidden_state), enc_valid_lens)

    def forward(
        self, X: Tensor, state: LSTMState
    ) -> tuple[Tensor, LSTMState]:
        enc_outputs, hidden_state, cell_state, enc_valid_lens = state
        embs = self.embedding(X)  # (B, T, E)
        outputs, step_weights = [], []
        for emb in embs.unbind(dim=1):  # T steps of (B, E)
            query = hidden_state[-1].unsqueeze(1)  # (B, 1, H): s_{i-1}
            # (B, 1, H), (B, 1, S)
            context, weights = self.attention(
                queries=query,
                keys=enc_outputs,
                values=enc_outputs,
                valid_lens=enc_valid_lens,
            )
            # (B, 1, H + E)
            rnn_input = torch.cat((context, emb.unsqueeze(1)), dim=-1)
            # output: (B, 1, H)
            output, (hidden_state, cell_state) = self.rnn(
                rnn_input, (hidden_state, cell_state)
            )
            outputs.append(output)
            step_weights.append(weights)
        self.attention_weights = torch.cat(step_weights, dim=1)  # (B, T, S)
        logits = self.dense(torch.cat(outputs, dim=1))  # (B, T, V)
        new_state = LSTMState(
            enc_outputs, hidden_state, cell_state, enc_valid_lens
        )
        return logits, new_state

    def step(self, y_prev: Tensor, state: LSTMState) -> DecoderStep:
        """One step from the previous tokens y_prev (B,).

        ``forward`` on a column of one token: logits (B, V), the new
        state and the step's weights (B, S).
        """
        logits, state = self(y_prev.unsqueeze(1), state)  # (B, 1, V)
        weights = self.attention_weights[:, 0]  # (B, S)
        return DecoderStep(logits[:, 0], state, weights=weights)


# ----------------------------------------------------------------------------
# Chapter 4
# ----------------------------------------------------------------------------


def batch_targets() -> tuple[list[str], list[str]]:
    """The short pair's rows of tgt_in and tgt_out in its batch.

    tgt_in = <bos> + French, tgt_out = French + <eos>, both right-padded to
    the batch's length T: that of the longer pair's rows.
    """
    french = BATCH_TARGETS["pair"][1]  # le chat dort .
    T = len(BATCH_TARGETS["longer"][1]) + 1  # 7 French tokens + 1 = 8
    tgt_in = ["<bos>", *french]  # what the decoder reads
    tgt_out = [*french, "<eos>"]  # what it must predict: shifted left
    padding = ["<pad>"] * (T - len(tgt_in))
    return tgt_in + padding, tgt_out + padding


def masked_cross_entropy(logits: Tensor, targets: Tensor, pad: int) -> Tensor:
    """Mean cross-entropy over the real (non-pad) targets.

    logits (B, T, V), targets (B, T). Returns a 0-d tensor: the sum of
    -log softmax(logits[b, t])[targets[b, t]] over the positions whose
    target is not pad, divided by the number of those positions.
    """
    log_probs = torch.log_softmax(logits, dim=-1)  # (B, T, V)
    # -log p of each target: (B, T)
    nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    real = targets != pad  # (B, T): False at padded positions
    # masked_fill, not a product: 0 * inf would be nan
    return nll.masked_fill(~real, 0.0).sum() / real.sum()


def attention_entropy(weights: Tensor) -> Tensor:
    """Entropy ``-sum_j alpha_j ln alpha_j`` of each row of attention weights.

    (..., S) -> (...). 0 when a step looks at one source token, ln(n) when it
    spreads evenly over n tokens.
    """
    # 0 * ln 0 counts as 0 (a masked key adds no uncertainty);
    # torch.xlogy(0, 0) is exactly 0, where weights * weights.log() would
    # give 0 * -inf = nan.
    return -torch.xlogy(weights, weights).sum(dim=-1)


# ----------------------------------------------------------------------------
# Chapter 5
# ----------------------------------------------------------------------------


def bleu_by_hand() -> float:
    """The exercise's BLEU, by hand.

    Brevity penalty exp(1 - 5/3), p_1 = 3/3, p_2 = 1/2.
    """
    brevity_penalty = math.exp(min(0.0, 1 - 5 / 3))
    by_hand = brevity_penalty * (3 / 3) ** (1 / 2) * (1 / 2) ** (1 / 4)
    assert math.isclose(by_hand, bleu(**BLEU_BY_HAND))
    return by_hand  # 0.432


def length_normalised_score(
    log_prob_sum: float, length: int, alpha: float
) -> float:
    """Beam search's ranking score, ``log p(y | x) / len(y) ** alpha``.

    The same score as bahdanau.decoding ranks its hypotheses by.
    """
    return log_prob_sum / length**alpha


def beam_winners() -> tuple[str, ...]:
    """The hypothesis with the highest score at each alpha: ('A', 'B')."""

    def score(name: str, alpha: float) -> float:
        return length_normalised_score(*BEAM_HYPOTHESES[name], alpha)

    return tuple(
        max(BEAM_HYPOTHESES, key=lambda name: score(name, alpha))
        for alpha in BEAM_ALPHAS
    )


# ----------------------------------------------------------------------------
# Chapter 6
# ----------------------------------------------------------------------------


def aer_by_hand() -> float:
    """The exercise's alignment error rate, counted by hand.

    A has 8 links: 4 are sure (i-je, like-aime, coffee-café, .-.) and 2
    more are possible (not-n', coffee-le), so |A ∩ S| = 4 and
    |A ∩ P| = 6. S has 6 links. The two wrong links look one word late:
    like-pas, coffee-noir.
    """
    by_hand = 1 - (4 + 6) / (8 + 6)
    A, S = AER_BY_HAND["predicted"], AER_BY_HAND["sure"]
    P = AER_BY_HAND["possible"]
    counted = 1 - (len(A & S) + len(A & P)) / (len(A) + len(S))
    assert math.isclose(by_hand, counted)
    return by_hand  # 0.286


# Reading heatmaps. `reading_translation(sentence, model)` is a shipped
# model's greedy translation; its `.attention` has one row per output token
# (<eos> included), one column per source token.


def read_alignment() -> str:
    """Chapter 1: the darkest cell of row ``row``.

    That is, the English token with the largest weight in that row.
    """
    problem = READING["alignment"]
    result = reading_translation(problem["sentence"], problem["model"])
    # (S,): the weights of output token number `row`
    row = result.attention[problem["row"] - 1]
    return result.src_tokens[int(row.argmax())]


def read_total_attention() -> str:
    """Chapter 2: the English token whose column holds the most weight."""
    problem = READING["total"]
    result = reading_translation(problem["sentence"], problem["model"])
    # (S,): one total per column (rows sum to 1, columns need not)
    totals = result.attention.sum(dim=0)
    return result.src_tokens[int(totals.argmax())]


def read_certainty() -> int:
    """Chapter 3: the most confident decoder step.

    The step (counted from 1) whose row holds the single largest weight.
    """
    problem = READING["certainty"]
    result = reading_translation(problem["sentence"], problem["model"])
    # largest weight of each row: (T,)
    row_max = result.attention.max(dim=1).values
    return int(row_max.argmax()) + 1


def read_failure() -> str:
    """Chapter 5: a word that got lost.

    The English token with the most attention in total, yet missing from the
    French.
    """
    problem = READING["failure"]
    result = reading_translation(problem["sentence"], problem["model"])
    totals = result.attention.sum(dim=0)  # (S,): one total per column
    return result.src_tokens[int(totals.argmax())]


def first_step_that_writes(translator, sentence: str, word: str,
                           french: str) -> int | None:
    """Chapter 5: the first step that, steered to ``word``, writes ``french``.

    Step i (0 for the first French word) gets all of its weight on the
    first ``word`` of the sentence, and the steered translation is searched
    for ``french``. Every row of the heatmap is a step, the ``<eos>`` row
    included. None if no step writes it; ValueError if the sentence has no
    ``word``.
    """
    plain = translator.translate(sentence)
    # list.index: the first occurrence, and ValueError if there is none
    column = plain.src_tokens.index(word)
    row = focus_row(len(plain.src_tokens), column)  # (S,): all on word
    for step in range(len(plain.attention)):  # T rows: words, then <eos>
        steered = translator.translate(sentence, override={step: row})
        if french in steered.tokens:
            return step
    return None


def read_one_word_late() -> str:
    """Chapter 6: the darkest cell of row ``row`` of d2l's model.

    Its encoder reads left to right, so the row often peaks one English
    word after the word it translates.
    """
    problem = READING["late"]
    result = reading_translation(problem["sentence"], problem["model"])
    # (S,): the weights of output token number `row`
    row = result.attention[problem["row"] - 1]
    return result.src_tokens[int(row.argmax())]
