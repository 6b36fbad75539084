"""Encoder, decoders and the encoder–decoder that ties them together.

Why the ``Encoder`` / ``Decoder`` / ``init_state`` interface (d2l's, kept
here)? Translation happens in two phases that run a different number of
times:

1. the **encoder** reads the whole source sentence once and returns its
   outputs (one annotation ``h_j`` per source token) and its final hidden
   state;
2. ``decoder.init_state(enc_all_outputs, enc_valid_lens)`` turns that into
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

import re
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import AdditiveAttention

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
    "gru_update",
    "maxout",
    "init_attention_as_paper",
    "upgrade_state_dict",
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


def gru_update(
    input_gates: torch.Tensor,
    hidden_gates: torch.Tensor,
    hidden: torch.Tensor,
) -> torch.Tensor:
    """One step of ``nn.GRU``'s equations, from the gates' pre-activations.

    input_gates ``W_ih x + b_ih`` and hidden_gates ``W_hh h + b_hh`` are
    (B, 3H), gates in ``nn.GRU``'s order (r, z, n); hidden ``h`` is (B, H).
    Returns ``h'`` (B, H), as the PyTorch documentation of ``nn.GRU`` writes
    it::

        r  = sigmoid(x_r + h_r)         z = sigmoid(x_z + h_z)
        n  = tanh(x_n + r * h_n)
        h' = (1 - z) * n + z * h

    It takes the matmuls' results rather than the weights so that the
    attention decoder can compute the embeddings' share of ``W_ih x`` for all
    steps at once.
    """
    H = hidden.shape[-1]
    # (B, 2H), (B, H)
    input_rz, input_n = input_gates.split((2 * H, H), dim=-1)
    hidden_rz, hidden_n = hidden_gates.split((2 * H, H), dim=-1)
    # r, z: (B, H) each
    reset, update = torch.sigmoid(input_rz + hidden_rz).chunk(2, dim=-1)
    candidate = torch.tanh(input_n + reset * hidden_n)  # n
    # (1 - z) * n + z * h: from n towards h by z
    return torch.lerp(candidate, hidden, update)


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

    ``forward(X, valid_lens)`` with X (B, S) returns
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
        self, X: torch.Tensor, valid_lens: torch.Tensor | None = None
    ):
        B, S = X.shape
        embs = self.dropout(self.embedding(X))  # (B, S, E)
        # Packing wants the lengths on the CPU. A length of 0 is read as 1
        # (the state after the first token), as a sentence always holds at
        # least its <eos>.
        if valid_lens is None:
            valid_lens = torch.full((B,), S)
        # (B,)
        lengths = valid_lens.detach().to("cpu", torch.long).clamp(1, S)
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
    # (B, S, H): W_k h_j, computed once per source batch
    enc_keys: torch.Tensor
    hidden_state: torch.Tensor  # (L, B, H): s_{i-1}
    enc_valid_lens: torch.Tensor | None  # (B,), or None: nothing is padded

    def select(self, index: torch.Tensor) -> AttentionState:
        """Keep (and reorder) batch entries ``index`` (for beam search)."""
        valid_lens = self.enc_valid_lens
        return AttentionState(
            self.enc_outputs[index],
            self.enc_keys[index],
            self.hidden_state[:, index],
            None if valid_lens is None else valid_lens[index],
        )


class Seq2SeqDecoder(nn.Module):
    """The fixed-context baseline.

    After Sutskever et al. 2014, Cho et al. 2014 and d2l 10.7. The whole
    source sentence reaches the decoder as one vector, the encoder's final
    last-layer state, concatenated to every input embedding. This is the
    bottleneck that attention removes: its BLEU falls faster as sentences
    grow.

    ``forward(X, state)`` with X (B, T) returns logits (B, T, V) and the new
    state. ``dropout`` applies to the target embeddings (and between stacked
    GRU layers); ``enc_output_size`` is accepted so both decoders share one
    constructor, and is unused here: the context is the encoder's final
    state, of size H.
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
        self, enc_all_outputs, enc_valid_lens=None
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

    ``forward(X, state)`` with X (B, T) returns logits (B, T, V) and the new
    state, and sets ``attention_weights`` (B, T, S): one row of weights per
    target step (also ``attention_scores`` and ``attention_queries``). The
    loop's body is :meth:`step`. ``dropout`` applies to the target
    embeddings, the attention weights and between stacked GRU layers;
    ``enc_output_size`` is the size of the annotations (2H for a
    bidirectional encoder). The maxout units get dropout too.
    ``attention_dropout`` overrides ``dropout`` for the attention weights
    (d2l drops them out; the paper does not, and ``rnnsearch`` sets 0).

    ``self.rnn`` is an ``nn.GRU`` used as the holder of the GRU's parameters:
    the steps apply its equations by hand (:func:`gru_update`), which lets
    ``forward`` compute the embeddings' share of layer 0's input gates for all
    T steps in one matmul. The result equals calling ``self.rnn`` once per
    step, up to float rounding (tests/test_models.py checks outputs and
    gradients), and checkpoints are the same either way.
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
        self.rnn = nn.GRU(
            embed_size + enc_output_size, num_hiddens, num_layers,
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
        # Set by forward (interfaces.ScoredAttentionDecoder): one row per
        # target step of the last call.
        self.attention_weights: torch.Tensor | None = None  # (B, T, S)
        self.attention_scores: torch.Tensor | None = None  # (B, T, S)
        self.attention_queries: torch.Tensor | None = None  # (B, T, H)
        self.apply(init_seq2seq)

    def init_state(
        self, enc_all_outputs, enc_valid_lens=None
    ) -> AttentionState:
        """Keep the annotations and project them once for the attention.

        The decoder starts from the encoder's final state.
        """
        enc_outputs, hidden_state = enc_all_outputs
        if enc_valid_lens is None:
            B, S = enc_outputs.shape[:2]
            enc_valid_lens = torch.full((B,), S, device=enc_outputs.device)
        # (B, S, H): once, not at every step
        enc_keys = self.attention.project_keys(enc_outputs)
        return AttentionState(
            enc_outputs, enc_keys, hidden_state, enc_valid_lens
        )

    def forward(self, X: torch.Tensor, state: AttentionState):
        embs = self.dropout(self.embedding(X))  # (B, T, E)
        # Layer 0 reads [c_i ; y_{i-1}], so its input gates are
        # W_c c_i + W_y y_{i-1} + b_ih. The y_{i-1} share does not wait for
        # the attention: one matmul for all T steps instead of T small ones.
        E = embs.shape[-1]
        W_c, W_y = self.rnn.weight_ih_l0.split(
            (self.rnn.input_size - E, E), dim=1
        )  # (3H, H_enc), (3H, E)
        emb_gates = F.linear(embs, W_y, self.rnn.bias_ih_l0)  # (B, T, 3H)
        hidden = list(state.hidden_state.unbind(0))  # L states (B, H)
        outputs, queries, scores, weights, contexts = [], [], [], [], []
        for gates in emb_gates.unbind(dim=1):  # T steps of (B, 3H)
            queries.append(hidden[-1])  # s_{i-1}
            hidden, step_scores, step_weights, context = self.step(
                gates, W_c, hidden, state
            )
            outputs.append(hidden[-1])  # s_i
            scores.append(step_scores)
            weights.append(step_weights)
            contexts.append(context)
        # d2l's attention_weights, and what the step-through view shows.
        self.attention_weights = torch.cat(weights, dim=1)  # (B, T, S)
        self.attention_scores = torch.cat(scores, dim=1)  # (B, T, S)
        self.attention_queries = torch.stack(queries, dim=1)  # (B, T, H)
        outputs = torch.stack(outputs, dim=1)  # (B, T, H): s_i
        if self.deep_output:
            # t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i, for all T at once
            pre_maxout = self.maxout_input(
                torch.cat((outputs, embs, torch.cat(contexts, dim=1)), -1)
            )  # (B, T, 2l)
            outputs = self.dropout(maxout(pre_maxout))  # (B, T, l): t_i
        logits = self.dense(outputs)  # (B, T, V)
        return logits, state._replace(hidden_state=torch.stack(hidden))

    def step(self, emb_gates, W_c, hidden, state):
        """One target step: s_{i-1} -> e_ij -> alpha_ij -> c_i -> GRU -> s_i.

        emb_gates (B, 3H): ``W_y y_{i-1} + b_ih``, computed for all steps at
        once by :meth:`forward`; W_c (3H, H_enc): the columns of layer 0's
        ``W_ih`` that read the context; hidden: each layer's state (B, H)
        before the step, the last one being s_{i-1}. Returns each layer's
        new state (the last one is s_i), the scores e_ij and the weights
        alpha_ij, both (B, 1, S), and the context c_i (B, 1, H_enc).
        """
        query = hidden[-1].unsqueeze(1)  # (B, 1, H): s_{i-1}
        # e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j) (eq. 6), U_a h_j cached
        scores = self.attention.scores(query, state.enc_keys)  # (B, 1, S)
        # alpha_ij: softmax over the real tokens; c_i = sum_j alpha_ij h_j
        context, weights = self.attention.attend(
            scores, state.enc_outputs, state.enc_valid_lens
        )  # (B, 1, H_enc), (B, 1, S)
        # The GRU, one layer after the other, with nn.GRU's own weights.
        # Layer 0 reads [c_i ; y_{i-1}]: add c_i's share to y_{i-1}'s.
        input_gates = emb_gates + context.squeeze(1) @ W_c.t()  # (B, 3H)
        layers = self.rnn.all_weights  # each: W_ih, W_hh, b_ih, b_hh
        new_hidden = []
        for layer, (W_ih, W_hh, b_ih, b_hh) in enumerate(layers):
            if layer > 0:  # the new state below, with dropout between layers
                below = self.dropout(new_hidden[-1])
                input_gates = F.linear(below, W_ih, b_ih)  # (B, 3H)
            hidden_gates = F.linear(hidden[layer], W_hh, b_hh)  # (B, 3H)
            new_state = gru_update(input_gates, hidden_gates, hidden[layer])
            new_hidden.append(new_state)  # (B, H)
        return new_hidden, scores, weights, context


class EncoderDecoder(nn.Module):
    """Encoder and decoder joined through ``init_state``.

    As d2l's ``EncoderDecoder``. ``forward(enc_X, dec_X, enc_valid_lens)``
    with enc_X (B, S) and dec_X (B, T) returns logits (B, T, V). Tokens of
    enc_X beyond enc_valid_lens never change them.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(
        self,
        enc_X: torch.Tensor,
        dec_X: torch.Tensor,
        enc_valid_lens: torch.Tensor | None = None,
    ):
        enc_all_outputs = self.encoder(enc_X, enc_valid_lens)
        state = self.decoder.init_state(enc_all_outputs, enc_valid_lens)
        return self.decoder(dec_X, state)[0]


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
        decoder = Seq2SeqDecoder(*sizes, enc_output_size=encoder.output_size)
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


# Weights of the encoder before it became one nn.GRU: a single-layer GRU per
# layer and direction.
_OLD_ENCODER_KEY = re.compile(
    r"encoder\.(forward|backward)_layers\.(\d+)\."
    r"(weight_ih|weight_hh|bias_ih|bias_hh)_l0"
)


def upgrade_state_dict(
    state_dict: dict[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Rename the weights of a checkpoint saved with the old encoder.

    The encoder used to hold one single-layer GRU per layer and direction;
    since it became one ``nn.GRU``, each of them is one layer of
    ``encoder.rnn``, with the same tensors::

        encoder.forward_layers.{l}.{w}_l0   ->  encoder.rnn.{w}_l{l}
        encoder.backward_layers.{l}.{w}_l0  ->  encoder.rnn.{w}_l{l}_reverse

    for ``{w}`` in weight_ih, weight_hh, bias_ih, bias_hh. Every other key
    (and a state dict that is already in the new form) comes back unchanged;
    no tensor is copied. :func:`~bahdanau.training.load_checkpoint` calls it
    after checking the stored weights' SHA-256, so old files keep loading
    without being rewritten.
    """

    def new_key(key: str) -> str:
        match = _OLD_ENCODER_KEY.fullmatch(key)
        if match is None:
            return key
        direction, layer, weight = match.groups()
        suffix = "_reverse" if direction == "backward" else ""
        return f"encoder.rnn.{weight}_l{layer}{suffix}"

    return {new_key(key): tensor for key, tensor in state_dict.items()}
