"""The data of the exercises: sizes, small matrices and sentences, written once.

The notebooks quote these numbers in the exercise text, and the checkers work the right
answers out from them with the package's own code; no answer is stored here.
"""

from __future__ import annotations

import torch

__all__ = [
    "ENCODER_SHAPES",
    "PARAMETER_COUNT",
    "WEIGHT_BY_HAND",
    "DECODER_SHAPES",
    "BATCH_TARGETS",
    "BLEU_BY_HAND",
    "BEAM_HYPOTHESES",
    "BEAM_ALPHAS",
    "AER_BY_HAND",
    "READING",
    "STEERING",
    "STEERING_PROBES",
]

# Chapter 1. Seq2SeqEncoder(vocab_size, embed_size, num_hiddens, num_layers) reads a batch of
# `batch_size` sentences padded to `src_len` tokens.
ENCODER_SHAPES = dict(vocab_size=100, embed_size=8, num_hiddens=16, num_layers=2, batch_size=4, src_len=7)

# Chapter 1. How many parameters has Seq2SeqEncoder(vocab_size=100, embed_size=8, num_hiddens=16, num_layers=1)?
PARAMETER_COUNT = dict(vocab_size=100, embed_size=8, num_hiddens=16, num_layers=1)

# Chapter 2. One additive attention weight by hand: one query, three keys of which the last is
# padding (valid_len = 2). Matrices act on column vectors: W_q q, W_k k_j.
WEIGHT_BY_HAND = dict(
    W_q=torch.tensor([[1.0, 0.0], [0.0, 1.0]]),  # the paper's W_a, (h, query_size)
    W_k=torch.tensor([[1.0, -1.0], [0.0, 2.0]]),  # the paper's U_a, (h, key_size)
    w_v=torch.tensor([1.0, -1.0]),  # the paper's v_a, (h,)
    query=torch.tensor([0.5, 0.5]),  # s_{i-1}
    keys=torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),  # h_1, h_2, h_3 (h_3 is padding)
    valid_len=2,
)

# Chapter 3. make_model(ModelConfig(src_vocab_size=30, tgt_vocab_size=40, embed_size=8,
# num_hiddens=32, num_layers=2)) called on B sentences of S source and T target tokens.
DECODER_SHAPES = dict(src_vocab_size=30, tgt_vocab_size=40, embed_size=8, num_hiddens=32, num_layers=2,
                      batch_size=3, src_len=6, tgt_len=5)

# Chapter 4. The short pair's rows of tgt_in and tgt_out, in a batch with the longer pair
# (padded to the longer one's length). Pairs of token lists (english, french), without <eos>.
BATCH_TARGETS = dict(
    pair=(["the", "cat", "sleeps", "."], ["le", "chat", "dort", "."]),
    longer=(["my", "brother", "reads", "a", "big", "book", "."],
            ["mon", "frère", "lit", "un", "gros", "livre", "."]),
)

# Chapter 5. d2l's sentence BLEU of a prediction against one reference, n-grams up to k.
BLEU_BY_HAND = dict(pred_seq="je suis content", label_seq="je suis très content .", k=2)

# Chapter 5. Two finished beam-search hypotheses: (log p(y | x), number of tokens incl. <eos>).
BEAM_HYPOTHESES = {"A": (-2.4, 3), "B": (-3.6, 6)}
BEAM_ALPHAS = (0.0, 0.75)

# Chapter 6. The alignment error rate of predicted links A against sure links S and possible
# links P (S is a subset of P). Links are (English index, French index), as in
# bahdanau.alignment's gold set; every French token here has a link in P.
_AER_SURE = frozenset({(0, 0), (3, 2), (2, 3), (5, 5), (4, 6), (6, 7)})  # i-je, like-aime, not-pas, ...
AER_BY_HAND = dict(
    english=["i", "do", "not", "like", "black", "coffee", "."],
    french=["je", "n'", "aime", "pas", "le", "café", "noir", "."],
    sure=_AER_SURE,
    possible=_AER_SURE | {(2, 1), (1, 2), (5, 4)},  # also not-n', do-aime, coffee-le
    # One link per French token: the largest weight of its row.
    predicted=frozenset({(0, 0), (2, 1), (3, 2), (3, 3), (5, 4), (5, 5), (5, 6), (6, 7)}),
)

# Every chapter's last exercise: read one heatmap of a shipped model (greedy decoding), as the
# chapter's closing figure does: the paper's model (rnnsearch) where the heatmap is read as an
# alignment, d2l's (attention) in the decoder-loop chapter, which follows that model's loop. The
# answers are read off the weights, so the checkers compute them from the model rather than
# storing them. Each sentence was chosen so that the answer is clear to the eye (a margin of at
# least 0.1 in the weights).
READING = {
    # Chapter 1: which English token did the model look at most while writing output row `row`?
    "alignment": dict(sentence="my sister has a blue car .", row=6, model="rnnsearch"),
    # Chapter 2: which English token received the most attention in total (a column sum)?
    "total": dict(sentence="they sold their old car .", model="rnnsearch"),
    # Chapter 3: at which decoder step is the attention most concentrated (the largest weight)?
    "certainty": dict(sentence="the children are playing in the park .", model="attention"),
    # Chapter 5: a failure case. Which English token received the most attention in total?
    "failure": dict(sentence="i like green tea .", model="rnnsearch"),
    # Chapter 6: d2l's one-directional model (attention) looks one word late. Which English token
    # did it look at most while writing output row `row`?
    "late": dict(sentence="she has long hair .", row=2, model="attention"),
}

# Chapter 5: steer the attention of the failure case above. From which output step on (0 for
# the first French word, the <eos> row being the last step) does moving all of that step's
# weight onto the English `word` (its first occurrence) make the French word `french` appear in
# the greedy translation? Steps are steered with translate(..., override={step: row}).
STEERING = dict(sentence=READING["failure"]["sentence"], word="green", french="vert",
                model=READING["failure"]["model"])

# The same question on other sentences, which the checker also asks of the learner's function
# (with STEERING's model): a function that counts steps from 1, leaves out the <eos> row, finds
# a step where there is none, or steers onto the wrong one of two equal words fails on one of
# them. `absent` names a word that its sentence does not have: the function raises ValueError.
STEERING_PROBES = dict(
    cases=(
        ("he is running now .", "now", "maintenant"),
        ("i want a small house .", "small", "petit"),
        ("she insulted him .", "she", "le"),
        ("the green car and the green house .", "green", "verte"),
    ),
    absent=("i like green tea .", "coffee", "café"),
)
