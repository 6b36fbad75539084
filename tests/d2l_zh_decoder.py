"""d2l-zh's attention decoder, re-implemented for tests/test_from_d2l.py.

*Dive into Deep Learning*'s Chinese edition (d2l-zh, zh.d2l.ai, section 10.4
"Bahdanau 注意力", PyTorch tab; github.com/d2l-ai/d2l-zh, code under MIT-0)
builds its attention decoder on an older interface than d2l-en 1.0, the
``d2l==1.0.3`` this project installs: an ``AdditiveAttention`` that is told
its key and query sizes, ``**kwargs`` handed on to ``nn.Module`` and ``*args``
in ``init_state``. This module is our own minimal rewrite of those classes.
It keeps d2l-zh's signatures, layer names, statement lines, time-first
tensors and ``permute``\\ s, so that the table of ``book/from_d2l.md`` (section
7) can quote it and the tests can run it; the comments are ours.

Not part of the package and not a page of the book: a fixture of the tests.
"""

# d2l-zh's super(Class, self) calls are kept: section 7 of the page quotes one.
# ruff: noqa: UP008

from __future__ import annotations

import torch
from torch import nn

from bahdanau.attention import MASK_VALUE


def masked_softmax(X, valid_lens):
    """Softmax over the last axis of X (B, Q, K); keys past valid_lens get 0.

    valid_lens is None, (B,) or (B, Q); masked scores are set to -1e6 first,
    as in both editions of d2l.
    """
    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = X.reshape(-1, shape[-1])  # (B * Q, K): one row per query
    keep = torch.arange(shape[-1], device=X.device)[None, :] < valid_lens[:, None]
    X = X.masked_fill(~keep, MASK_VALUE)
    return nn.functional.softmax(X.reshape(shape), dim=-1)


class AdditiveAttention(nn.Module):
    """d2l-zh's additive attention: every size is given, no lazy layer."""

    def __init__(self, key_size, query_size, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        # Both projections at every call: the keys too.
        queries, keys = self.W_q(queries), self.W_k(keys)
        # (B, Q, 1, h) + (B, 1, K, h) -> (B, Q, K, h)
        features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)  # (B, Q, K)
        # Kept on the module: the decoder reads it back after each call.
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class Decoder(nn.Module):
    """d2l-zh's decoder interface: ``**kwargs`` go on to nn.Module."""

    def __init__(self, **kwargs):
        super(Decoder, self).__init__(**kwargs)

    def init_state(self, enc_outputs, *args):
        raise NotImplementedError

    def forward(self, X, state):
        raise NotImplementedError


class AttentionDecoder(Decoder):
    """A decoder that also exposes the weights of its last forward."""

    def __init__(self, **kwargs):
        super(AttentionDecoder, self).__init__(**kwargs)

    @property
    def attention_weights(self):
        raise NotImplementedError


class Seq2SeqAttentionDecoder(AttentionDecoder):
    """d2l-zh's decoder of section 10.4: time-first GRU, four permutes."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers,
                 dropout=0, **kwargs):
        super(Seq2SeqAttentionDecoder, self).__init__(**kwargs)
        # key size, query size, hidden size: all num_hiddens
        self.attention = AdditiveAttention(
            num_hiddens, num_hiddens, num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(
            embed_size + num_hiddens, num_hiddens, num_layers,
            dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens, *args):
        # enc_outputs is the encoder's pair: outputs (S, B, H), state (L, B, H)
        outputs, hidden_state = enc_outputs
        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_lens = state  # (B, S, H), ...
        X = self.embedding(X).permute(1, 0, 2)  # (T, B, E)
        outputs, self._attention_weights = [], []
        for x in X:  # x (B, E)
            query = torch.unsqueeze(hidden_state[-1], dim=1)  # (B, 1, H)
            context = self.attention(
                query, enc_outputs, enc_outputs, enc_valid_lens)
            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)  # (1, B, H)
            self._attention_weights.append(self.attention.attention_weights)
        outputs = self.dense(torch.cat(outputs, dim=0))  # (T, B, V)
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state,
                                          enc_valid_lens]

    @property
    def attention_weights(self):
        return self._attention_weights


class EncoderDecoder(nn.Module):
    """d2l-zh's encoder-decoder: forward returns the decoder's whole pair.

    Its ``train_seq2seq`` unpacks it:
    ``Y_hat, _ = net(X, dec_input, X_valid_len)``.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super(EncoderDecoder, self).__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        # *args (the source lengths) reach both the encoder and init_state
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)


def xavier_init_weights(m):
    """Xavier-uniform weights for linear and GRU layers, biases untouched.

    d2l-zh defines it inside ``train_seq2seq``: its constructors leave
    PyTorch's default initialisation, and training replaces it.
    """
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
    elif isinstance(m, nn.GRU):
        for name, param in m.named_parameters():
            if name.startswith("weight"):
                nn.init.xavier_uniform_(param)


def init_as_train_seq2seq(net):
    """What d2l-zh's ``train_seq2seq`` does to a model before training."""
    net.apply(xavier_init_weights)
    return net
