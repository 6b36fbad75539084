"""Additive (Bahdanau) attention and the masked softmax it needs.

Bahdanau, Cho and Bengio (2014) score how well the decoder's previous state
``s_{i-1}`` matches every encoder annotation ``h_j`` with a one-hidden-layer
network, turn the scores into weights with a softmax, and average the
annotations with those weights::

    e_ij     = v_a^T tanh(W_a s_{i-1} + U_a h_j)   (eq. 6; "alignment model")
    alpha_ij = exp(e_ij) / sum_k exp(e_ik)         (eq. 6)
    c_i      = sum_j alpha_ij h_j                  (eq. 5)

The names follow d2l so that a learner can move between the two books:
``W_q`` is the paper's ``W_a`` (applied to the query ``s_{i-1}``), ``W_k`` is
``U_a`` (applied to the keys ``h_j``) and ``w_v`` is ``v_a``.

Shapes: B batch, Q number of queries (decoder steps), K number of keys (source
positions, S in the models), H the attention's hidden size.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["masked_softmax", "additive_scores", "AdditiveAttention"]

# d2l fills masked scores with -1e6 rather than -inf: exp(-1e6 - max) is
# exactly 0 in float32, and a row whose every key is masked still gives finite
# (uniform) weights instead of NaN. We keep the same value so that both books
# agree to the last bit.
MASK_VALUE = -1e6


def masked_softmax(
    X: torch.Tensor, valid_lens: torch.Tensor | None
) -> torch.Tensor:
    """Softmax over the last axis, weight 0 to positions past ``valid_lens``.

    Args:
        X: scores, shape (B, Q, K).
        valid_lens: None (nothing masked), shape (B,) (the same length for
            every query of a batch entry) or (B, Q) (one length per query).

    Returns:
        Weights of shape (B, Q, K); each row sums to 1 over its first
        ``valid_len`` keys and is 0 beyond them. Equal to
        ``d2l.masked_softmax``.
    """
    if valid_lens is None:
        return torch.softmax(X, dim=-1)
    positions = torch.arange(X.shape[-1], device=X.device)  # (K,)
    if valid_lens.dim() == 1:
        valid_lens = valid_lens[:, None]  # (B, 1): broadcast over the queries
    keep = positions < valid_lens[..., None]  # (B, 1 or Q, K)
    return torch.softmax(X.masked_fill(~keep, MASK_VALUE), dim=-1)


def additive_scores(
    projected_queries: torch.Tensor,
    projected_keys: torch.Tensor,
    w_v: nn.Linear,
) -> torch.Tensor:
    """The paper's alignment scores (eq. 6).

    ``e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j)``

    Args:
        projected_queries: ``W_a s_{i-1}`` for every query, shape (B, Q, h).
        projected_keys: ``U_a h_j`` for every key, shape (B, K, h).
        w_v: the layer holding ``v_a`` (h -> 1, no bias).

    Returns:
        The scores (B, Q, K). The one place in the package that computes
        eq. 6: both :class:`AdditiveAttention` and the step-through view
        call it.
    """
    # Broadcast every query against every key:
    # (B, Q, 1, h) + (B, 1, K, h) -> (B, Q, K, h).
    features = torch.tanh(
        projected_queries.unsqueeze(2) + projected_keys.unsqueeze(1)
    )
    return w_v(features).squeeze(-1)  # (B, Q, K)


class AdditiveAttention(nn.Module):
    """Additive attention (Bahdanau et al., 2014), with d2l's names.

    d2l calls the three layers ``W_k``, ``W_q`` and ``w_v``.

    Args:
        key_size: size of each key (the encoder's output size, H or 2H).
        query_size: size of each query (the decoder's hidden size H).
        num_hiddens: size of the scoring network's hidden layer (h below).
        dropout: dropout on the attention weights (as in d2l).

    ``attention(queries=..., keys=..., values=..., valid_lens=...)``,
    keyword-only so that queries and keys cannot be swapped by accident,
    returns ``(context, weights)``: the context (B, Q, value_dim) and the
    weights (B, Q, K). Unlike d2l's layer it keeps no state: the weights are
    returned, not stored on the module (a decoder that wants d2l's
    ``attention_weights`` property keeps them itself).

    The fast path: ``U_a h_j`` does not depend on the decoder step, so a
    decoder calls :meth:`project_keys` once per source batch and passes the
    result as ``projected_keys`` at every step, instead of re-projecting the
    keys T times.
    """

    def __init__(
        self,
        key_size: int,
        query_size: int,
        num_hiddens: int,
        dropout: float = 0.0,
    ):
        super().__init__()
        # Bias-free, as in d2l and the paper's e_ij (no bias term there).
        # W_k is the paper's U_a, W_q its W_a, w_v its v_a.
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """``U_a h_j`` for every key: (B, K, key_size) -> (B, K, h)."""
        return self.W_k(keys)

    def scores(
        self, queries: torch.Tensor, projected_keys: torch.Tensor
    ) -> torch.Tensor:
        """The scores ``e_ij`` (B, Q, K) of queries against projected keys.

        queries (B, Q, query_size); keys projected by :meth:`project_keys`.
        """
        return additive_scores(self.W_q(queries), projected_keys, self.w_v)

    def forward(
        self,
        *,
        queries: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        valid_lens: torch.Tensor | None = None,
        projected_keys: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The context (B, Q, value_dim) and the weights (B, Q, K).

        queries (B, Q, query_size), keys (B, K, key_size), values
        (B, K, value_dim), valid_lens None, (B,) or (B, Q).
        ``projected_keys`` (B, K, num_hiddens), if given, must equal
        ``self.project_keys(keys)``; it lets a decoder skip that work at
        every step.
        """
        if projected_keys is None:
            projected_keys = self.project_keys(keys)  # (B, K, h)
        # e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j)  (eq. 6)
        scores = self.scores(queries, projected_keys)  # (B, Q, K)
        return self.attend(scores, values, valid_lens)

    def attend(
        self,
        scores: torch.Tensor,
        values: torch.Tensor,
        valid_lens: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """From scores (B, Q, K) to the context and the weights.

        The context is (B, Q, value_dim), the weights (B, Q, K). The second
        half of :meth:`forward`, for a decoder that also keeps the scores.
        """
        # alpha_ij = exp(e_ij) / sum_k exp(e_ik)  (eq. 6), padded source
        # positions given weight 0.
        weights = masked_softmax(scores, valid_lens)  # (B, Q, K)
        # c_i = sum_j alpha_ij h_j  (eq. 5): a batched weighted average of
        # the values, (B, Q, value_dim).
        context = torch.bmm(self.dropout(weights), values)
        return context, weights
