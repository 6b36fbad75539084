"""Encoder, decoders and the encoder–decoder that ties them together.

Why the ``Encoder`` / ``Decoder`` / ``init_state`` interface (d2l's, kept
here)? Translation happens in two phases that run a different number of
times:

1. the **encoder** reads the whole source sentence once and returns its
   outputs (one annotation ``h_j`` per source token) and its final hidden
   state;
2. ``decoder.init_state(enc_all_outputs, src_valid_len)`` turns that into
   what the decoder must carry from step to step: its starting hidden state,
   and (for the attention decoder) the annotations to look at, their key
   projection and the source lengths that say which positions are padding;
3. ``decoder(X, state)`` runs one or more target steps and returns the logits
   and the updated state. Training feeds the whole shifted target at once
   (teacher forcing); decoding calls it one token at a time, feeding back its
   own output.

Keeping step 2 separate is what lets the same decoder serve training, greedy
and beam search: they differ only in how they call ``forward`` and reorder
the state.

Shapes (batch-first everywhere): B batch, S source length, T target length,
E embedding size, H hidden size, V vocabulary size, L layers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import AdditiveAttention
from .interfaces import DecoderStep

__all__ = [
    "Seq2SeqEncoder",
    "Seq2SeqDecoder",
    "Seq2SeqAttentionDecoder",
    "EncoderDecoder",
    "AttentionState",
    "ContextState",
    "ModelConfig",
    "make_model",
    "init_seq2seq",
    "DecoderStep",
    "embedding_gates",
    "gru_step",
    "teacher_forced_steps",
    "maxout",
    "init_attention_as_paper",
]


def init_seq2seq(module: nn.Module) -> None:
    """Xavier-uniform weights for linear and GRU layers (d2l's recipe).

    As d2l's ``init_seq2seq``. Why: PyTorch's default GRU initialisation is
    uniform in +-1/sqrt(H), which trains noticeably slower on this task; d2l's
    recipe uses Xavier, and so do we so that the two books' training curves
    can be compared. Use it as ``model.apply(init_seq2seq)``.
    """
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
    elif isinstance(module, nn.GRU):
        for name, param in module.named_parameters():
            if "weight" in name:
                nn.init.xavier_uniform_(param)


def _between_layers(dropout: float, num_layers: int) -> float:
    """``nn.GRU``'s dropout: only between stacked layers.

    (``nn.GRU`` warns if there are none.)
    """
    return dropout if num_layers > 1 else 0.0


def maxout(pre_activations: torch.Tensor) -> torch.Tensor:
    """The paper's maxout: the larger of each pair of units (appendix A.2.2).

    ``t_{i,j} = max(t~_{i,2j-1}, t~_{i,2j})``: (..., 2l) -> (..., l).
    """
    *batch, two_l = pre_activations.shape
    # (..., l, 2): units 2j-1 and 2j side by side
    pairs = pre_activations.view(*batch, two_l // 2, 2)
    return pairs.amax(dim=-1)  # (..., l)


class Seq2SeqEncoder(nn.Module):
    """Embedding and a (stacked, optionally bidirectional) GRU, padding-blind.

    d2l's encoder runs its GRU over the padding too, so its final state
    depends on how much padding the batch happened to have. Here the GRU runs
    on a packed sequence (``torch.nn.utils.rnn.pack_padded_sequence``): it
    stops at each sentence's last real token, so every layer's final state is
    read there, and it spends no time on padding. The backward direction (the
    paper's bidirectional encoder, section 3.2) reads each sentence from its
    own last real token back to its first, so padding never enters either
    direction. Outputs at padded positions are 0.

    Args:
        vocab_size, embed_size, num_hiddens, num_layers, dropout: as in d2l
            (dropout is applied to the embeddings and between GRU layers).
        bidirectional: if True, each annotation is ``[->h_j ; <-h_j]``
            (size 2H) and the initial decoder state is
            ``s_0 = tanh(W_s <-h_1)`` per layer, as in the paper
            (appendix A.2.2).

    ``forward(src, src_valid_len)`` with src (B, S) returns
    ``(enc_outputs, hidden_state)``: enc_outputs (B, S, H) or (B, S, 2H) from
    the last layer, hidden_state (L, B, H).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int,
        dropout: float = 0.0,
        *,
        bidirectional: bool = False,
    ):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.output_size = 2 * num_hiddens if bidirectional else num_hiddens
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(
            embed_size, num_hiddens, num_layers, bidirectional=bidirectional,
            dropout=_between_layers(dropout, num_layers), batch_first=True,
        )
        if bidirectional:
            # the paper's W_s
            self.bridge = nn.Linear(num_hiddens, num_hiddens)
        # nn.GRU's own dropout acts only between stacked layers: this one is
        # for the embeddings.
        self.dropout = nn.Dropout(dropout)
        self.apply(init_seq2seq)

    def forward(
        self, src: torch.Tensor, src_valid_len: torch.Tensor | None = None
    ):
        B, S = src.shape
        embs = self.dropout(self.embedding(src))  # (B, S, E)
        # Packing wants the lengths on the CPU. A length of 0 is read as 1
        # (the state after the first token), as a sentence always holds at
        # least its <eos>.
        if src_valid_len is None:
            src_valid_len = torch.full((B,), S)
        # (B,)
        lengths = src_valid_len.detach().to("cpu", torch.long).clamp(1, S)
        if bool((lengths == S).all()):
            # No padding at all: packing would only add its bookkeeping.
            # (B, S, H or 2H), (L * directions, B, H)
            enc_outputs, final_states = self.rnn(embs)
        else:
            packed = pack_padded_sequence(
                embs, lengths, batch_first=True, enforce_sorted=False
            )
            # final states in the original batch order
            packed_outputs, final_states = self.rnn(packed)
            # 0 at padding
            enc_outputs, _ = pad_packed_sequence(
                packed_outputs, batch_first=True, total_length=S
            )
        if not self.bidirectional:
            # (L, B, H): each layer's state at the last real token
            return enc_outputs, final_states
        # Per layer, the backward direction's final state is <-h_1: it has
        # read the whole sentence, last word first.
        # s_0 = tanh(W_s <-h_1) (appendix A.2.2).
        # (L, B, H)
        backward_final = final_states.view(self.num_layers, 2, B, -1)[:, 1]
        return enc_outputs, torch.tanh(self.bridge(backward_final))


class ContextState(NamedTuple):
    """What :class:`Seq2SeqDecoder` carries between steps."""

    # (B, H): the encoder's last-layer final state, fixed for the sentence
    context: torch.Tensor
    hidden_state: torch.Tensor  # (L, B, H)

    def select(self, index: torch.Tensor) -> ContextState:
        """Keep (and reorder) batch entries ``index`` (for beam search)."""
        return ContextState(self.context[index], self.hidden_state[:, index])


class AttentionState(NamedTuple):
    """What :class:`Seq2SeqAttentionDecoder` carries between steps.

    Unpacks like d2l's ``(enc_outputs, hidden_state, enc_valid_lens)`` plus
    the cached key projection.
    """

    # (B, S, H_enc): the annotations h_j (keys and values)
    enc_outputs: torch.Tensor
    # (B, S, H): U_a h_j, computed once per source batch
    enc_keys: torch.Tensor
    hidden_state: torch.Tensor  # (L, B, H): s_{i-1}
    src_valid_len: torch.Tensor | None  # (B,), or None: nothing is padded

    def select(self, index: torch.Tensor) -> AttentionState:
        """Keep (and reorder) batch entries ``index`` (for beam search)."""
        src_valid_len = self.src_valid_len
        return AttentionState(
            self.enc_outputs[index],
            self.enc_keys[index],
            self.hidden_state[:, index],
            None if src_valid_len is None else src_valid_len[index],
        )


class Seq2SeqDecoder(nn.Module):
    """The fixed-context baseline.

    After Sutskever et al. 2014, Cho et al. 2014 and d2l 10.7. The whole
    source sentence reaches the decoder as one vector, the encoder's final
    last-layer state, concatenated to every input embedding. This is the
    bottleneck that attention removes: its BLEU falls faster as sentences
    grow.

    ``forward(X, state)`` with X (B, T) returns logits (B, T, V) and the new
    state; :meth:`step` runs one step. ``dropout`` applies to the target
    embeddings (and between stacked GRU layers).
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
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(
            embed_size + num_hiddens, num_hiddens, num_layers,
            dropout=_between_layers(dropout, num_layers), batch_first=True,
        )
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.dropout = nn.Dropout(dropout)
        self.apply(init_seq2seq)

    def init_state(
        self, enc_all_outputs, src_valid_len=None
    ) -> ContextState:
        """Start from the encoder's final state.

        Its last layer is the context, fixed for the whole sentence.
        """
        _, hidden_state = enc_all_outputs
        return ContextState(
            context=hidden_state[-1], hidden_state=hidden_state
        )

    def forward(self, X: torch.Tensor, state: ContextState):
        embs = self.dropout(self.embedding(X))  # (B, T, E)
        # the context at every step: (B, T, H)
        context = state.context[:, None, :].expand(-1, embs.shape[1], -1)
        # outputs (B, T, H)
        outputs, hidden_state = self.rnn(
            torch.cat((embs, context), dim=-1), state.hidden_state
        )
        logits = self.dense(outputs)  # (B, T, V)
        return logits, state._replace(hidden_state=hidden_state)

    def step(self, y_prev: torch.Tensor, state: ContextState) -> DecoderStep:
        """One step from the previous tokens y_prev (B,).

        Returns logits (B, V) and the new state.
        The context is the same fixed vector at every step, and there are
        no attention weights.
        """
        logits, state = self(y_prev[:, None], state)  # (B, 1, V)
        return DecoderStep(logits[:, 0], state, context=state.context)


class Seq2SeqAttentionDecoder(nn.Module):
    """GRU decoder with additive attention (batch-first).

    The d2l chapter's seed decoder. At step i the query is the previous
    last-layer hidden state ``s_{i-1}``; the attention returns the context
    ``c_i``, which is concatenated with the embedding of the previous output
    token ``y_{i-1}`` and fed to the GRU; a linear layer maps the new state to
    logits (d2l's output layer, ``deep_output=0``).

    ``deep_output=l > 0`` builds the paper's deep output instead (appendix
    A.2.2): ``t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i`` (size 2l, one
    ``nn.Linear`` named ``maxout_input`` over ``[s_i ; E y_{i-1} ; c_i]``),
    ``t_i = maxout(t~_i)`` (size l) and logits ``W_o t_i``. It reads
    ``s_i``, the state after the step, as the main text's eq. 4 writes
    ``p(y_i | ...) = g(y_{i-1}, s_i, c_i)``; the appendix writes
    ``s_{i-1}``, which would leave the GRU's update out of the word being
    chosen. The ``rnnsearch`` preset uses it.

    :meth:`step` is one target step; it returns everything it computes (a
    :class:`~bahdanau.interfaces.DecoderStep`: logits, state, context,
    weights, scores and query), and decoding, beam search, forced alignment
    and the step-through view read them from there. ``forward(X, state)``
    with X (B, T) runs the T steps of teacher forcing and returns logits
    (B, T, V) and the new state; it also sets d2l's ``attention_weights``
    (B, T, S), a view for d2l's code that this package never reads.

    ``dropout`` applies to the target embeddings, the attention weights and
    between stacked GRU layers (and to the maxout units);
    ``enc_output_size`` is the size of the annotations (2H for a
    bidirectional encoder); ``attention_dropout`` overrides ``dropout`` for
    the attention weights (d2l drops them out; the paper does not, and
    ``rnnsearch`` sets 0).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int,
        dropout: float = 0.0,
        *,
        enc_output_size: int | None = None,
        deep_output: int = 0,
        attention_dropout: float | None = None,
    ):
        super().__init__()
        enc_output_size = enc_output_size or num_hiddens
        self.attention = AdditiveAttention(
            enc_output_size, num_hiddens, num_hiddens,
            dropout if attention_dropout is None else attention_dropout,
        )
        self.embedding = nn.Embedding(vocab_size, embed_size)
        # Reads [c_i ; E y_{i-1}] (the context first, as in d2l).
        self.rnn = nn.GRU(
            enc_output_size + embed_size, num_hiddens, num_layers,
            dropout=_between_layers(dropout, num_layers), batch_first=True,
        )
        self.deep_output = deep_output
        if deep_output:
            # [U_o V_o C_o] of appendix A.2.2, one matmul for the three
            self.maxout_input = nn.Linear(
                num_hiddens + embed_size + enc_output_size, 2 * deep_output
            )
        # W_o: from t_i (deep output) or from s_i (d2l's linear output)
        self.dense = nn.Linear(deep_output or num_hiddens, vocab_size)
        self.dropout = nn.Dropout(dropout)
        # d2l's view of the last forward's weights (B, T, S); see the class docstring.
        self.attention_weights: torch.Tensor | None = None
        self.apply(init_seq2seq)

    def init_state(
        self, enc_all_outputs, src_valid_len=None
    ) -> AttentionState:
        """Keep the annotations and project them once for the attention.

        The decoder starts from the encoder's final state.
        """
        enc_outputs, hidden_state = enc_all_outputs
        if src_valid_len is None:
            B, S = enc_outputs.shape[:2]
            src_valid_len = torch.full((B,), S, device=enc_outputs.device)
        # (B, S, H): U_a h_j, once, not at every step
        enc_keys = self.attention.project_keys(enc_outputs)
        return AttentionState(
            enc_outputs, enc_keys, hidden_state, src_valid_len
        )

    def step(self, y_prev: torch.Tensor, state: AttentionState,
             weights: torch.Tensor | None = None) -> DecoderStep:
        """One target step i, from the previous output token y_prev (B,).

        s_{i-1} -> e_ij -> alpha_ij -> c_i -> s_i -> p(y_i). Returns a
        :class:`~bahdanau.interfaces.DecoderStep`: logits (B, V), the state
        holding s_i, context c_i (B, H_enc), weights alpha_ij and scores e_ij
        (B, S), and the query s_{i-1} (B, H).

        ``weights`` (B, S), if given, replace the softmax's alpha_ij: the
        reader steers the attention (:func:`bahdanau.decoding.greedy_decode`'s
        ``override``), and c_i is built from them.
        """
        query = state.hidden_state[-1]  # (B, H): s_{i-1}, the last layer's
        # e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j)  (eq. 6)
        scores = self.attention.scores(query[:, None], state.enc_keys)
        if weights is None:
            # alpha_ij = softmax over the real tokens j;
            # c_i = sum_j alpha_ij h_j
            context, weights = self.attention.attend(
                scores, state.enc_outputs, state.src_valid_len
            )  # (B, 1, H_enc), (B, 1, S)
        else:  # steered: c_i = sum_j alpha_ij h_j with the given alpha_ij
            weights = weights[:, None]  # (B, 1, S)
            context = torch.bmm(weights, state.enc_outputs)  # (B, 1, H_enc)
        emb = self.dropout(self.embedding(y_prev[:, None]))  # (B, 1, E)
        # s_i = f(s_{i-1}, y_{i-1}, c_i)  (eq. 4's state; f is the GRU)
        output, hidden_state = self.rnn(
            torch.cat((context, emb), dim=-1), state.hidden_state
        )  # (B, 1, H): s_i, and (L, B, H)
        # p(y_i | y_1..y_{i-1}, x) = g(y_{i-1}, s_i, c_i)  (eq. 4)
        logits = self.output_layer(output, emb, context)  # (B, 1, V)
        return DecoderStep(
            logits[:, 0], state._replace(hidden_state=hidden_state),
            context=context[:, 0], weights=weights[:, 0],
            scores=scores[:, 0], query=query,
        )

    def output_layer(self, s, emb, context) -> torch.Tensor:
        """g: from s_i, E y_{i-1} and c_i to the logits (..., V).

        d2l's linear layer reads s_i alone; the paper's deep output
        (``deep_output`` > 0) reads all three through a maxout layer.
        """
        if not self.deep_output:
            return self.dense(s)
        # t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i, then t_i = maxout(t~_i)
        t = maxout(self.maxout_input(torch.cat((s, emb, context), -1)))
        return self.dense(self.dropout(t))  # W_o t_i

    def forward(self, X: torch.Tensor, state: AttentionState):
        """Teacher forcing: the T steps of X (B, T).

        Returns logits (B, T, V) and the last state. Equal to calling
        :meth:`step` on each column of X in turn, faster: see
        :func:`teacher_forced_steps`.
        """
        logits, state, weights = teacher_forced_steps(self, X, state)
        self.attention_weights = weights  # (B, T, S): d2l's view
        return logits, state


def embedding_gates(rnn: nn.GRU, embs: torch.Tensor) -> torch.Tensor:
    """The E y_{i-1} share of the GRU's layer-0 input gates, for all T steps at once.

    embs (B, T, E) -> (B, T, 3H): ``W_y E y_{i-1} + b_ih``, where ``W_y`` is
    the last E columns of ``rnn.weight_ih_l0`` (the GRU reads
    ``[c_i ; E y_{i-1}]``). One matmul instead of T small ones: the
    embeddings do not wait for the attention.
    """
    E = embs.shape[-1]
    W_y = rnn.weight_ih_l0[:, rnn.input_size - E:]  # (3H, E)
    return F.linear(embs, W_y, rnn.bias_ih_l0)


def gru_step(rnn: nn.GRU, input_gates: torch.Tensor,
             hidden: list[torch.Tensor],
             dropout: nn.Module) -> list[torch.Tensor]:
    """One step of ``rnn`` from layer 0's input gates (B, 3H).

    hidden: each layer's state (B, H) before the step; returns them after
    it. PyTorch's GRU equations (its documentation of ``nn.GRU``), layer
    after layer, with ``rnn``'s own weights.
    """
    new_states: list[torch.Tensor] = []
    for layer, (W_ih, W_hh, b_ih, b_hh) in enumerate(rnn.all_weights):
        if layer > 0:  # the new state below, with dropout between layers
            input_gates = F.linear(dropout(new_states[-1]), W_ih, b_ih)
        h = hidden[layer]  # (B, H)
        hidden_gates = F.linear(h, W_hh, b_hh)  # (B, 3H)
        H = h.shape[-1]
        i_rz, i_n = input_gates.split((2 * H, H), dim=-1)
        h_rz, h_n = hidden_gates.split((2 * H, H), dim=-1)
        r, z = torch.sigmoid(i_rz + h_rz).chunk(2, dim=-1)
        n = torch.tanh(i_n + r * h_n)
        # h' = (1 - z) * n + z * h: from n towards h by z, in one op
        new_states.append(torch.lerp(n, h, z))
    return new_states


def teacher_forced_steps(decoder: Seq2SeqAttentionDecoder, X: torch.Tensor,
                         state: AttentionState):
    """The decoder's step for each column of X (B, T), faster.

    The speed-up of training (``python -m bahdanau.cli.bench`` measures
    it): the embeddings' share of the GRU's input, ``W_y E y_{i-1}``, is
    computed for all T steps in one matmul (:func:`embedding_gates`), and
    each step adds the context's share ``W_c c_i`` before applying the GRU
    by hand (:func:`gru_step`). Everything else is the step's own code.
    Returns logits (B, T, V), the last state and the weights (B, T, S).
    tests/test_models.py checks that it equals the step, outputs and
    gradients.
    """
    rnn = decoder.rnn
    embs = decoder.dropout(decoder.embedding(X))  # (B, T, E)
    emb_gates = embedding_gates(rnn, embs)  # (B, T, 3H)
    H_enc = rnn.input_size - embs.shape[-1]
    W_c = rnn.weight_ih_l0[:, :H_enc]  # (3H, H_enc)
    hidden = list(state.hidden_state.unbind(0))  # L states (B, H)
    outputs, contexts, weights = [], [], []
    for gates in emb_gates.unbind(dim=1):  # T steps of (B, 3H)
        scores = decoder.attention.scores(hidden[-1][:, None], state.enc_keys)
        context, step_weights = decoder.attention.attend(
            scores, state.enc_outputs, state.src_valid_len
        )  # (B, 1, H_enc), (B, 1, S)
        hidden = gru_step(rnn, gates + context[:, 0] @ W_c.t(), hidden,
                          decoder.dropout)
        outputs.append(hidden[-1])  # s_i (B, H)
        contexts.append(context)
        weights.append(step_weights)
    s = torch.stack(outputs, dim=1)  # (B, T, H): s_i
    logits = decoder.output_layer(s, embs, torch.cat(contexts, dim=1))
    return (logits, state._replace(hidden_state=torch.stack(hidden)),
            torch.cat(weights, dim=1))


class EncoderDecoder(nn.Module):
    """Encoder and decoder joined through ``init_state``.

    As d2l's ``EncoderDecoder``. ``forward(src, tgt_in, src_valid_len)``
    with src (B, S) and tgt_in (B, T) returns logits (B, T, V). Tokens of
    src beyond src_valid_len never change them.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(
        self,
        src: torch.Tensor,
        tgt_in: torch.Tensor,
        src_valid_len: torch.Tensor | None = None,
    ):
        enc_all_outputs = self.encoder(src, src_valid_len)
        state = self.decoder.init_state(enc_all_outputs, src_valid_len)
        return self.decoder(tgt_in, state)[0]


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model (JSON beside a checkpoint)."""

    src_vocab_size: int
    tgt_vocab_size: int
    embed_size: int = 256
    num_hiddens: int = 256
    num_layers: int = 2
    dropout: float = 0.2
    attention: bool = True
    bidirectional: bool = False
    # 0: d2l's linear output layer; l > 0: the paper's maxout with l units
    deep_output: int = 0
    # dropout on the attention weights; None: the same as ``dropout`` (d2l)
    attention_dropout: float | None = None
    # "d2l": Xavier like every other layer; "paper": W_a, U_a ~ N(0, 0.001^2), v_a = 0
    attention_init: str = "d2l"

    def to_dict(self) -> dict:
        return asdict(self)


def make_model(config: ModelConfig) -> EncoderDecoder:
    """Build the encoder–decoder a :class:`ModelConfig` describes.

    One factory, explicit defaults.
    """
    encoder = Seq2SeqEncoder(
        config.src_vocab_size,
        config.embed_size,
        config.num_hiddens,
        config.num_layers,
        config.dropout,
        bidirectional=config.bidirectional,
    )
    sizes = (
        config.tgt_vocab_size,
        config.embed_size,
        config.num_hiddens,
        config.num_layers,
        config.dropout,
    )
    if config.attention:
        decoder = Seq2SeqAttentionDecoder(
            *sizes, enc_output_size=encoder.output_size,
            deep_output=config.deep_output,
            attention_dropout=config.attention_dropout,
        )
    else:
        if config.deep_output:
            raise ValueError(
                "deep_output needs attention=True: the paper's maxout reads"
                " the context c_i, which only the attention decoder has"
            )
        decoder = Seq2SeqDecoder(*sizes)
    if config.attention_init == "paper":
        init_attention_as_paper(decoder.attention)
    elif config.attention_init != "d2l":
        raise ValueError(f"attention_init must be 'd2l' or 'paper', not {config.attention_init!r}")
    return EncoderDecoder(encoder, decoder)


def init_attention_as_paper(attention: AdditiveAttention) -> None:
    """The paper's initialisation of the alignment model (appendix B.1).

    ``W_a`` and ``U_a`` (``W_q``, ``W_k``) from N(0, 0.001^2) and ``v_a`` (``w_v``) 0: every
    score ``e_ij`` starts at 0, so every row of weights starts uniform, and the alignment is
    learned from there rather than from Xavier's random preferences.
    """
    nn.init.normal_(attention.W_q.weight, std=0.001)
    nn.init.normal_(attention.W_k.weight, std=0.001)
    nn.init.zeros_(attention.w_v.weight)
