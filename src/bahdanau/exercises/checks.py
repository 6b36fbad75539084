"""One checker per exercise. Each takes the learner's answer and returns a :class:`Feedback`.

A checker works the right answer out itself, from the exercise's data in
:mod:`bahdanau.exercises.problems` and the package's own code (the encoder and model for
shapes, :class:`~bahdanau.attention.AdditiveAttention` for weights, :func:`~bahdanau.metrics.bleu`,
:func:`~bahdanau.decoding.length_penalty_factor`, the shipped models' heatmaps and their steered
translations). When the answer is
wrong it says what is wrong and where to look: which shape, which padded position got weight,
which mistake a number matches (the raw score instead of the weight, a forgotten bias, a
forgotten brevity penalty). It never gives the right value away. Answers that are functions or
modules are run on small random inputs (the same at every call for a given ``seed``); nothing
here trains for more than a second or two.

Shapes: B batch, Q queries, K keys, S source length, T target length, H hidden size,
V vocabulary size, L layers.
"""

from __future__ import annotations

import math
import operator
import random
from collections import Counter
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ..alignment import alignment_error_rate
from ..attention import AdditiveAttention, masked_softmax
from ..data import BOS, EOS, PAD, Vocab, collate_pairs
from ..decoding import Translation, focus_row, length_penalty_factor
from ..metrics import bleu
from ..models import EncoderDecoder, ModelConfig, Seq2SeqEncoder, make_model
from ..runtime import time_pair
from ..training import sequence_loss
from .feedback import Feedback, checker, current_seed, failed, passed
from .lab import reading_translation, shipped_translator
from .problems import (
    AER_BY_HAND,
    BATCH_TARGETS,
    BEAM_ALPHAS,
    BEAM_HYPOTHESES,
    BLEU_BY_HAND,
    DECODER_SHAPES,
    ENCODER_SHAPES,
    PARAMETER_COUNT,
    READING,
    STEERING,
    STEERING_PROBES,
    WEIGHT_BY_HAND,
)

__all__ = [
    "check_encoder_shapes",
    "check_parameter_count",
    "check_bidirectional_encoder",
    "check_attention_weight",
    "check_additive_weights",
    "check_dot_product_attention",
    "check_decoder_shapes",
    "check_fixed_decoder",
    "check_lstm_decoder",
    "check_bleu_by_hand",
    "check_batch_targets",
    "check_masked_loss",
    "check_aer_by_hand",
    "check_length_normalised_score",
    "check_beam_winner",
    "check_attention_entropy",
    "check_read_alignment",
    "check_read_total_attention",
    "check_read_certainty",
    "check_read_failure",
    "check_steered_word",
    "check_read_one_word_late",
]

TOLERANCE = 1e-4  # for tensors computed two ways; numbers worked out by hand get 1e-3


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _sizes() -> random.Random | None:
    """Where the sizes of random inputs come from: None at seed 0 (the book's fixed sizes),
    else a generator seeded by the checker's ``seed``, so other seeds also mean other sizes."""
    seed = current_seed()
    return None if seed == 0 else random.Random(seed)


def _size(rng: random.Random | None, default: int, low: int, high: int) -> int:
    """``default`` at seed 0, else a size drawn from ``low..high``."""
    return default if rng is None else rng.randint(low, high)


def _as_shape(value) -> tuple[int, ...]:
    """A shape given as a tuple, a list or a torch.Size, as a tuple of ints."""
    if not isinstance(value, (tuple, list, torch.Size)) or not all(isinstance(n, int) for n in value):
        raise TypeError(f"{value!r} is not a shape such as (1, 2, 3)")
    return tuple(value)


def _check_shapes(answer, names: Sequence[str], expected: Sequence[tuple[int, ...]], hints: dict) -> Feedback:
    """Compare a tuple of shapes with the expected ones, one name per shape.

    ``hints`` maps (index, wrong shape) to an explanation of that particular mistake; other
    mistakes get a hint about what to look at, never the right shape.
    """
    if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
        return failed(f"give a tuple of {len(expected)} shapes: ({', '.join(names)}).")
    for index, (name, given, right) in enumerate(zip(names, answer, expected)):
        given = _as_shape(given)
        if given != right:
            hint = hints.get((index, given))
            if hint is None and len(given) != len(right):
                hint = f"It has {len(right)} dimensions; write its shape in letters first."
            elif hint is None:
                wrong = next(i for i, (g, r) in enumerate(zip(given, right)) if g != r)
                hint = f"Dimension {wrong} is off: write the shape in letters first, then the sizes."
            return failed(f"the shape of {name} is not {given}. {hint}")
    return passed(f"{', '.join(f'{n} {s}' for n, s in zip(names, expected))}.")


def _as_number(answer) -> float:
    if isinstance(answer, Tensor):
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise TypeError(f"expected a number, got {type(answer).__name__}")
    return float(answer)


def _module(answer, *args, **kwargs) -> nn.Module:
    """The instance itself, or one built with ``args`` from a class (or a factory), in eval mode."""
    module = answer if isinstance(answer, nn.Module) or not callable(answer) else answer(*args, **kwargs)
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(module).__name__}")
    return module.eval()


def _largest(difference: Tensor) -> tuple[float, tuple[int, ...]]:
    """The largest absolute entry of ``difference`` and its index."""
    flat = difference.abs().flatten().argmax()
    index = tuple(int(i) for i in torch.unravel_index(flat, difference.shape))
    return float(difference.abs().flatten()[flat]), index


def _weights_on_padding(weights: Tensor, valid_lens: Tensor) -> str | None:
    """Describe the largest weight (B, Q, K) given to a padded key, or None if there is none."""
    padded = torch.arange(weights.shape[-1]) >= valid_lens[:, None, None]  # (B, 1, K)
    on_padding = weights.detach() * padded
    value, (b, q, k) = _largest(on_padding)
    if value > 1e-6:
        return f"padded position {k} of sentence {b} received weight {value:.2f} (at query/step {q})"
    return None


def _rows_not_summing_to_one(weights: Tensor) -> str | None:
    sums = weights.detach().sum(dim=-1)  # (B, Q)
    value, index = _largest(sums - 1)
    if value > TOLERANCE:
        where = ", ".join(f"{name} {i}" for name, i in zip(("batch", "query"), index))
        return f"weights along the last axis must sum to 1; yours sum to {float(sums[index]):.2f} for {where}"
    return None


def _output_and_weights_problem(output, output_shape: tuple[int, ...], description: str, weights,
                                weights_shape: tuple[int, ...], valid_lens: Tensor, *,
                                weights_name: str = "self.attention_weights") -> str | None:
    """What is wrong with a module's output and its attention weights (B, Q, K), or None.

    ``description`` names the output and its shape letters, e.g. "the logits should have shape (B, T, V)";
    ``weights_name`` says where the weights come from (a decoder's ``attention_weights``, or returned).
    """
    if not isinstance(output, Tensor) or tuple(output.shape) != output_shape:
        shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        return f"{description} = {output_shape}, got {shape}"
    if not isinstance(weights, Tensor) or tuple(weights.shape) != weights_shape:
        if weights_name == "self.attention_weights":
            return f"set self.attention_weights to the weights, shape {weights_shape}"
        return f"{weights_name} should have shape {weights_shape}"
    return _weights_on_padding(weights, valid_lens) or _rows_not_summing_to_one(weights)


def _close(given: float, value: float, tolerance: float = 1e-3) -> bool:
    return math.isclose(given, value, abs_tol=tolerance)


# ---------------------------------------------------------------------------------------------
# Chapter 1
# ---------------------------------------------------------------------------------------------


def _encoder_output_shapes() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Run the exercise's encoder once on a batch of ones and read the two shapes off."""
    p = ENCODER_SHAPES
    built = Seq2SeqEncoder(**{name: p[name] for name in ("vocab_size", "embed_size", "num_hiddens", "num_layers")})
    with torch.no_grad():
        annotations, last_states = built(torch.ones(p["batch_size"], p["src_len"], dtype=torch.long), None)
    return tuple(annotations.shape), tuple(last_states.shape)


@checker("a tuple of two shapes (enc_outputs, hidden_state), e.g. ((1, 2, 3), (4, 5, 6))", kind=(tuple, list))
def check_encoder_shapes(answer) -> Feedback:
    """Exercise 1.1: the shapes of ``Seq2SeqEncoder``'s two outputs (see ``problems.ENCODER_SHAPES``)."""
    p = ENCODER_SHAPES
    B, S, H, L, E = p["batch_size"], p["src_len"], p["num_hiddens"], p["num_layers"], p["embed_size"]
    hints = {
        (0, (S, B, H)): "That is the time-first layout; our tensors are batch-first.",
        (0, (B, S, E)): "E is the size of the embeddings the GRU reads; it outputs H numbers per token.",
        (0, (B, S, L * H)): "Only the last layer's outputs are returned.",
        (1, (B, L, H)): "The hidden state keeps PyTorch's layout: layers first, then the batch.",
        (1, (B, H)): "Every layer has its own final state.",
        (1, (1, B, H)): f"Every layer (L = {L}) has its own final state.",
    }
    return _check_shapes(answer, ("enc_outputs", "hidden_state"), _encoder_output_shapes(), hints)


@checker("a whole number, the count of parameters", kind=(int, float, Tensor))
def check_parameter_count(answer) -> Feedback:
    """Exercise 1.2: the number of parameters of a one-layer encoder (see ``problems.PARAMETER_COUNT``)."""
    p = PARAMETER_COUNT
    V, E, H = p["vocab_size"], p["embed_size"], p["num_hiddens"]
    counted = Seq2SeqEncoder(V, E, H, p["num_layers"])
    embedding = counted.embedding.weight.numel()
    recurrent = sum(tensor.numel() for tensor in counted.rnn.parameters())
    total = embedding + recurrent
    given = _as_number(answer)
    if given == total:
        return passed(f"{total} = {embedding} (embedding) + {recurrent} (GRU: 3 weight blocks x (H*E + H*H + 2H)).")
    mistakes = {
        total - 3 * 2 * H: (
            "you forgot the biases: each of the 3 weight blocks has two bias vectors of size H in PyTorch."
        ),
        total - 3 * H: "PyTorch's GRU has two bias vectors per weight block (b_ih and b_hh), not one.",
        recurrent: "you forgot the embedding table: one E-vector per word of the vocabulary.",
        embedding + recurrent // 3: (
            "a GRU has three blocks of weights (reset gate, update gate, candidate state), each its own."
        ),
        embedding + 4 * recurrent // 3: "that would be an LSTM (four weight blocks); a GRU has three.",
    }
    return failed(mistakes.get(given, f"{given:g} is not it. Count the embedding, then 3 weight blocks x (input "
                                      "matrix + recurrent matrix + biases)."))


@checker("your encoder class, e.g. BidirectionalEncoder (built as cls(vocab_size, embed_size, num_hiddens))")
def check_bidirectional_encoder(answer) -> Feedback:
    """Exercise 6.1: a bidirectional encoder whose halves look only one way and ignore padding."""
    rng = _sizes()
    V, E = 20, 8
    H, S = _size(rng, 6, 3, 8), _size(rng, 7, 6, 9)
    encoder = _module(answer, V, E, H)  # (vocab_size, embed_size, num_hiddens), whatever the learner named them
    X = torch.randint(1, V, (3, S))  # (B, S)
    # sentence 0 is full, sentences 1 and 2 are padded
    valid_lens = torch.tensor([S, S - 2, 3 if rng is None else rng.randint(1, S - 3)])

    def run(src: Tensor) -> tuple[Tensor, ...]:
        with torch.no_grad():
            outputs, hidden_state = encoder(src, valid_lens)
        return outputs, hidden_state

    outputs, hidden_state = run(X)
    if tuple(outputs.shape) != (3, S, 2 * H):
        return failed(f"the annotations should have shape (B, S, 2H) = (3, {S}, {2 * H}), "
                      f"got {tuple(outputs.shape)}.")
    if tuple(hidden_state.shape) != (1, 3, H):
        return failed(f"the state should have shape (L, B, H) = (1, 3, {H}), got {tuple(hidden_state.shape)}.")

    j = 3 if rng is None else rng.randint(1, S - 2)  # a position of sentence 0 (S real tokens)
    later, earlier = X.clone(), X.clone()
    later[0, j + 1 :] = (X[0, j + 1 :] % (V - 1)) + 1  # other tokens after j
    earlier[0, :j] = (X[0, :j] % (V - 1)) + 1  # other tokens before j
    with_later, _ = run(later)
    with_earlier, _ = run(earlier)
    forward_change = float((with_later[0, : j + 1, :H] - outputs[0, : j + 1, :H]).abs().max())
    if forward_change > TOLERANCE:
        return failed(f"the forward half (features 0..{H - 1}) at position {j} changed by {forward_change:.2f} "
                      "when tokens after it changed: ->h_j must read tokens 1..j only.")
    backward_change = float((with_earlier[0, j:, H:] - outputs[0, j:, H:]).abs().max())
    if backward_change > TOLERANCE:
        return failed(f"the backward half (features {H}..{2 * H - 1}) at position {j} changed by "
                      f"{backward_change:.2f} when tokens before it changed: <-h_j must read tokens j..S only.")
    if float((with_later[0, j, H:] - outputs[0, j, H:]).abs().max()) < TOLERANCE:
        return failed(f"the backward half at position {j} ignores the tokens after it: is it really a backward GRU?")

    real = S - 2  # sentence 1's real tokens
    padded = X.clone()
    padded[1, real:] = (X[1, real:] % (V - 1)) + 1  # change its padding
    with_padding, state_padding = run(padded)
    value, (position, feature) = _largest(with_padding[1, :real] - outputs[1, :real])
    if value > TOLERANCE:
        half = "forward" if feature < H else "backward"
        where = ", ".join(str(i) for i in range(real, S))
        return failed(f"changing the padding of sentence 1 (positions {where}) changed the {half} half at "
                      f"position {position} by {value:.2f}: the backward direction must start at the last real "
                      "token.")
    state_change = float((state_padding[:, 1] - hidden_state[:, 1]).abs().max())
    if state_change > TOLERANCE:
        return failed(f"changing the padding of sentence 1 changed its state by {state_change:.2f}.")
    return passed(
        "annotations (B, S, 2H); ->h_j ignores later tokens, <-h_j earlier ones, and padding changes nothing."
    )


# ---------------------------------------------------------------------------------------------
# Chapter 2
# ---------------------------------------------------------------------------------------------


def _weight_by_hand_candidates() -> tuple[Tensor, ...]:
    """The scores e_j of all three keys (the padded one too) and the weights of the real keys."""
    p = WEIGHT_BY_HAND
    hidden = torch.tanh(p["keys"] @ p["W_k"].T + (p["W_q"] @ p["query"])[None, :])  # (3, h)
    e = (hidden * p["w_v"]).sum(dim=1)  # (3,)
    alpha = masked_softmax(e.view(1, 1, -1), torch.tensor([p["valid_len"]])).view(-1)  # (3,), 0 for the padding
    return e, alpha


@checker("a number between 0 and 1, the weight alpha_1", kind=(int, float, Tensor))
def check_attention_weight(answer) -> Feedback:
    """Exercise 2.1: one attention weight by hand (see ``problems.WEIGHT_BY_HAND``)."""
    p = WEIGHT_BY_HAND
    given = _as_number(answer)
    e, alpha = _weight_by_hand_candidates()
    if _close(given, float(alpha[0])):
        return passed(f"alpha_1 = {float(alpha[0]):.3f}.")
    without_tanh = (p["keys"] @ p["W_k"].T + p["W_q"] @ p["query"]) @ p["w_v"]
    mistakes = [
        (float(e[0]), "that is the raw score e_1; the weight is the softmax of the scores."),
        (float(torch.softmax(e, 0)[0]), "you included the masked (padded) key 3 in the softmax; only the "
                                        f"first {p['valid_len']} keys are real."),
        (float(alpha[1]), "that is the weight of key 2; the exercise asks for key 1."),
        (float(masked_softmax(without_tanh.view(1, 1, -1), torch.tensor([p["valid_len"]]))[0, 0, 0]),
         "you left out the tanh: e_j = w_v^T tanh(W_q q + W_k k_j)."),
    ]
    for value, message in mistakes:
        if _close(given, value):
            return failed(message)
    if not 0 <= given <= 1:
        return failed(f"{given:g} cannot be a weight: attention weights lie between 0 and 1.")
    return failed(
        f"{given:.3f} is not it. Compute e_j = w_v^T tanh(W_q q + W_k k_j) for the real keys, then a softmax."
    )


def _additive_reference(queries: Tensor, keys: Tensor, valid_lens: Tensor, W_q: Tensor, W_k: Tensor,
                        w_v: Tensor, *, tanh: bool = True) -> Tensor:
    """The weights (B, Q, K) from the package's AdditiveAttention holding the given matrices.

    With ``tanh=False``, the weights a learner gets who forgot the tanh (for the diagnosis).
    """
    h, query_size = W_q.shape
    layer = AdditiveAttention(key_size=W_k.shape[1], query_size=query_size, num_hiddens=h)
    with torch.no_grad():
        for linear, matrix in ((layer.W_q, W_q), (layer.W_k, W_k), (layer.w_v, w_v.view(1, h))):
            linear.weight.copy_(matrix)
        if not tanh:
            flat = layer.w_v(layer.W_q(queries).unsqueeze(2) + layer.W_k(keys).unsqueeze(1)).squeeze(-1)
            return masked_softmax(flat, valid_lens)
        return layer(queries=queries, keys=keys, values=keys, valid_lens=valid_lens)[1]


@checker("your function additive_attention_weights(queries, keys, valid_lens, W_q, W_k, w_v)")
def check_additive_weights(answer: Callable) -> Feedback:
    """Exercise 2.2: additive scores and the masked softmax, as one function of plain tensors."""
    rng = _sizes()
    B, Q, K = _size(rng, 2, 1, 4), _size(rng, 3, 1, 4), _size(rng, 6, 3, 8)
    query_size, key_size, h = _size(rng, 4, 2, 6), _size(rng, 5, 2, 6), _size(rng, 7, 2, 8)
    if rng is None:
        valid_lens = torch.tensor([4, 2])
    else:  # at least one sentence with padding
        valid_lens = torch.randint(1, K + 1, (B,))
        valid_lens[rng.randrange(B)] = rng.randint(1, K - 1)
    args = dict(
        queries=torch.randn(B, Q, query_size), keys=torch.randn(B, K, key_size), valid_lens=valid_lens,
        W_q=torch.randn(h, query_size), W_k=torch.randn(h, key_size), w_v=torch.randn(h),
    )
    weights = answer(*(tensor.clone() for tensor in args.values()))
    if not isinstance(weights, Tensor):
        return failed(f"your function returned a {type(weights).__name__}, not a tensor of weights.")
    if tuple(weights.shape) != (B, Q, K):
        return failed(f"the weights should have shape (B, Q, K) = {(B, Q, K)}, got {tuple(weights.shape)}.")
    if not torch.isfinite(weights).all():
        return failed("some weights are nan or inf (masking with -inf a row with no real key?).")
    problem = _weights_on_padding(weights, valid_lens) or _rows_not_summing_to_one(weights)
    if problem:
        return failed(problem + ".")
    weights = weights.detach().to(torch.float32)
    reference = _additive_reference(**args)
    value, (b, q, k) = _largest(weights - reference)
    if value > TOLERANCE:
        if torch.allclose(weights, _additive_reference(**args, tanh=False), atol=TOLERANCE):
            return failed("your weights are those of scores without the tanh: e = w_v^T tanh(W_q q + W_k k).")
        return failed(f"the weight of key {k} for batch {b}, query {q} is {float(weights[b, q, k]):.3f}, which "
                      "is off: check e = w_v^T tanh(W_q q + W_k k) (matrices act on the left, so W_q q is "
                      "queries @ W_q.T) and the softmax over the keys.")
    return passed("right shape, no weight on padding, each row sums to 1, and the values match.")


def _attention_outputs(attention: nn.Module, returned) -> tuple[object, object, str]:
    """(context, weights, where the weights come from) for either interface: forward returning
    ``(context, weights)``, or the context alone with the weights stored in ``attention_weights``."""
    if isinstance(returned, tuple) and len(returned) == 2:
        return returned[0], returned[1], "the weights you return"
    if isinstance(returned, tuple):
        raise TypeError(f"forward returned {len(returned)} things; return the context, or (context, weights)")
    return returned, getattr(attention, "attention_weights", None), "self.attention_weights"


@checker("your attention module (or class), e.g. DotProductAttention()")
def check_dot_product_attention(answer) -> Feedback:
    """Exercise 2.3: dot-product (Luong) scoring with ``AdditiveAttention``'s call interface.

    Luong's unscaled score ``s^T h_j`` and the scaled dot product ``s^T h_j / sqrt(d)`` both
    pass; so does a forward that returns ``(context, weights)`` as ``AdditiveAttention`` does,
    or the context alone with the weights stored in ``attention_weights``. When correct, the
    message also reports its speed against additive attention for one decoder step at the size
    of the shipped model (B=128, K=10, H=256).
    """
    rng = _sizes()
    attention = _module(answer)
    B, Q, K, D = _size(rng, 2, 2, 3), _size(rng, 3, 1, 4), _size(rng, 5, 3, 7), _size(rng, 8, 2, 9)
    D_v = 4 if rng is None else rng.choice([n for n in range(2, 8) if n != K])  # D_v != K: tells them apart
    queries, keys, values = torch.randn(B, Q, D), torch.randn(B, K, D), torch.randn(B, K, D_v)
    # sentence 0 without padding, the others with some
    valid_lens = torch.tensor([5, 3] if rng is None else [K] + [rng.randint(1, K - 1) for _ in range(B - 1)])
    with torch.no_grad():
        returned = attention(queries=queries, keys=keys, values=values, valid_lens=valid_lens)
    context, weights, weights_name = _attention_outputs(attention, returned)
    if weights_name == "self.attention_weights" and weights is None and isinstance(context, Tensor) \
            and tuple(context.shape) == (B, Q, K):
        return failed("forward returned the weights (B, Q, K); it should return the context (B, Q, D_v) and store "
                      "the weights in self.attention_weights, or return (context, weights).")
    problem = _output_and_weights_problem(context, (B, Q, D_v), "the context should have the values' size, "
                                          "(B, Q, D_v)", weights, (B, Q, K), valid_lens, weights_name=weights_name)
    if problem:
        return failed(problem + ".")
    weights, context = weights.to(torch.float32), context.to(torch.float32)
    dots = torch.einsum("bqd,bkd->bqk", queries, keys)  # (B, Q, K): s^T h_j for every pair
    scorings = {
        "Luong's unscaled dot score s^T h_j": dots,
        "the scaled dot product s^T h_j / sqrt(d)": dots / math.sqrt(D),
    }
    recognised = None
    for name, scores in scorings.items():
        expected_weights = masked_softmax(scores, valid_lens)
        if torch.allclose(weights, expected_weights, atol=TOLERANCE):
            recognised = name
            break
    if recognised is None:
        return failed("the weights are neither softmax(s^T h_j) nor softmax(s^T h_j / sqrt(d)) over the real keys: "
                      "check which axes your product contracts.")
    if not torch.allclose(context, torch.einsum("bqk,bkv->bqv", expected_weights, values), atol=TOLERANCE):
        return failed("the weights are right but the context is not their weighted average of the values.")
    B, K, H = 128, 10, 256
    step_queries, step_keys = torch.randn(B, 1, H), torch.randn(B, K, H)
    additive_attention = AdditiveAttention(H, H, H).eval()
    with torch.no_grad():
        cached_keys = additive_attention.project_keys(step_keys)  # once per sentence, as our decoder does
        # Interleaved, median of many calls: a single timing on a busy laptop can be off by 10x.
        yours, additive = time_pair(
            lambda: attention(queries=step_queries, keys=step_keys, values=step_keys, valid_lens=None),
            lambda: additive_attention(queries=step_queries, keys=step_keys, values=step_keys,
                                       projected_keys=cached_keys),
            repeats=30,
        )
    return passed(f"{recognised}; weights and context are right. One step at B={B}, K={K}, H={H}: "
                  f"{1000 * yours:.3f} ms, against {1000 * additive:.3f} ms for additive attention with its keys "
                  f"projected in advance ({additive / max(yours, 1e-9):.1f}x).")


# ---------------------------------------------------------------------------------------------
# Chapter 3
# ---------------------------------------------------------------------------------------------


def _model_output_shapes() -> tuple[tuple[int, ...], ...]:
    """Build the exercise's model, run one teacher-forced call, read the three shapes off."""
    p = DECODER_SHAPES
    fields = ("src_vocab_size", "tgt_vocab_size", "embed_size", "num_hiddens", "num_layers")
    built = make_model(ModelConfig(**{name: p[name] for name in fields})).eval()
    sources = torch.ones(p["batch_size"], p["src_len"], dtype=torch.long)
    targets = torch.ones(p["batch_size"], p["tgt_len"], dtype=torch.long)
    with torch.no_grad():
        first = built.decoder.init_state(built.encoder(sources, None), None)
        scores, last = built.decoder(targets, first)
    heatmap = built.decoder.attention_weights
    return tuple(scores.shape), tuple(heatmap.shape), tuple(last.hidden_state.shape)


@checker("a tuple of three shapes (logits, attention_weights, hidden_state), e.g. ((1, 2, 3), (4, 5, 6), (7, 8, 9))",
         kind=(tuple, list))
def check_decoder_shapes(answer) -> Feedback:
    """Exercise 3.1: the shapes after one teacher-forced decoder call (see ``problems.DECODER_SHAPES``)."""
    p = DECODER_SHAPES
    B, S, T, H, L = p["batch_size"], p["src_len"], p["tgt_len"], p["num_hiddens"], p["num_layers"]
    hints = {
        (0, (B, T, p["src_vocab_size"])): "The logits score the target vocabulary (French), not the source one.",
        (0, (B, T, H)): "The dense layer maps each state to one score per target word.",
        (1, (B, S, T)): "One row per target step: (B, T, S).",
        (1, (B, 1, S)): "The decoder stacks the weights of all T steps.",
        (1, (B, T, 1)): "Each step has one weight per source position.",
        (2, (B, L, H)): "The hidden state keeps PyTorch's layout: layers first, then the batch.",
        (2, (B, T, H)): "The state is the last step's only, for every layer: (L, B, H).",
        (2, (1, B, H)): f"Every layer (L = {L}) has its own state.",
    }
    return _check_shapes(answer, ("logits", "attention_weights", "hidden_state"), _model_output_shapes(), hints)


SRC_VOCAB_SIZE, TGT_VOCAB_SIZE, DECODER_HIDDENS = 20, 12, 16  # the decoder checkers' small models


def _decoder_model(answer, num_layers: int) -> tuple[EncoderDecoder, nn.Module]:
    gru_side = Seq2SeqEncoder(SRC_VOCAB_SIZE, 8, DECODER_HIDDENS, num_layers)
    decoder = _module(answer, TGT_VOCAB_SIZE, 8, DECODER_HIDDENS, num_layers)
    return EncoderDecoder(gru_side, decoder).eval(), decoder


def _padding_problem(model: EncoderDecoder, decoder: nn.Module) -> Feedback | None:
    """Run a padded batch; None if the shapes are right and padding has no effect, else why not."""
    rng = _sizes()
    S, T = _size(rng, 9, 5, 10), _size(rng, 4, 2, 5)
    real = 5 if rng is None else rng.randint(2, S - 1)  # sentence 0 has padding at real..S-1
    src = torch.randint(3, SRC_VOCAB_SIZE, (2, S))  # (B, S)
    valid_lens = torch.tensor([real, S])
    tgt_in = torch.randint(3, TGT_VOCAB_SIZE, (2, T))  # (B, T)
    with torch.no_grad():
        logits = model(src, tgt_in, valid_lens)
        weights = getattr(decoder, "attention_weights", None)
        other_padding = src.clone()
        other_padding[0, real:] = torch.randint(3, SRC_VOCAB_SIZE, (S - real,))
        logits_other = model(other_padding, tgt_in, valid_lens)
    problem = _output_and_weights_problem(logits, (2, T, TGT_VOCAB_SIZE), "the logits should have shape (B, T, V)",
                                          weights, (2, T, S), valid_lens)
    if problem:
        return failed(problem + ".")
    change = float((logits_other - logits).abs().max())
    if change > TOLERANCE:
        return failed(f"changing the padded source tokens of sentence 0 changed its logits by {change:.3f}.")
    with torch.no_grad():
        alone = model(src[:1, :real], tgt_in[:1], valid_lens[:1])  # sentence 0 in a batch of its own: no padding
    change = float((alone[0] - logits[0]).abs().max())
    if change > TOLERANCE:
        return failed(f"sentence 0 gets other logits alone than in a padded batch (they differ by {change:.3f}).")
    return None


@checker("your fixed decoder class (same constructor as Seq2SeqAttentionDecoder)")
def check_fixed_decoder(answer) -> Feedback:
    """Exercise 3.2: a decoder whose output does not depend on the padding of the source."""
    model, decoder = _decoder_model(answer, num_layers=1)
    problem = _padding_problem(model, decoder)
    if problem is not None:
        return problem
    return passed("padded source positions get weight 0, so changing them leaves the logits unchanged.")


OVERFIT_STEPS = 60  # Adam steps on one tiny batch (well under a second)


def _learning_problem(model: EncoderDecoder, decoder: nn.Module) -> tuple[str | None, float, float]:
    """Train on one fixed batch of 4 random sentences for :data:`OVERFIT_STEPS` Adam steps.

    Returns (what is wrong or None, the loss before, the loss after), both losses measured in
    eval mode (dropout off), so that neither dropout nor the initialisation decides the verdict.
    """
    src, valid_lens = torch.randint(3, SRC_VOCAB_SIZE, (4, 6)), torch.tensor([6, 5, 4, 3])
    tgt = torch.randint(3, TGT_VOCAB_SIZE, (4, 6))
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]

    def loss_of() -> Tensor:
        logits = model(src, tgt_in, valid_lens)  # (B, T, V)
        return nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten())

    model.eval()
    with torch.no_grad():
        before = float(loss_of())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    lstm_parameters = [p for m in decoder.modules() if isinstance(m, nn.LSTM) for p in m.parameters()]
    model.train()
    for step in range(OVERFIT_STEPS):
        optimizer.zero_grad()
        loss_of().backward()
        if step == 0 and not any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in lstm_parameters):
            model.eval()
            return ("no gradient reaches your LSTM's weights: is its output detached, or are its parameters "
                    "frozen?"), before, before
        optimizer.step()
    model.eval()
    with torch.no_grad():
        after = float(loss_of())
    if not after < before / 2:
        return (f"in {OVERFIT_STEPS} steps on one tiny batch the loss (eval mode) went from {before:.2f} to "
                f"{after:.2f} only; it should fall below half: are the gradients reaching every part, and does "
                "each step feed the LSTM its own new state?"), before, after
    return None, before, after


@checker("your LSTM decoder class (built as cls(vocab_size, embed_size, num_hiddens, num_layers))")
def check_lstm_decoder(answer) -> Feedback:
    """Exercise 3.3: an attention decoder with an LSTM; shapes, padding, and that it can learn."""
    model, decoder = _decoder_model(answer, num_layers=2)
    if not any(isinstance(module, nn.LSTM) for module in decoder.modules()):
        return failed("your decoder has no nn.LSTM inside.")
    problem = _padding_problem(model, decoder)
    if problem is not None:
        return problem
    problem, before, after = _learning_problem(model, decoder)
    if problem is not None:
        return failed(problem)
    return passed(f"shapes, per-step weights and padding are right, and it learns a tiny batch (loss {before:.2f} "
                  f"-> {after:.3f}).")


# ---------------------------------------------------------------------------------------------
# Chapter 4
# ---------------------------------------------------------------------------------------------


def _batch_rows() -> tuple[list[str], list[str]]:
    """The short pair's rows of tgt_in and tgt_out, from the package's own collate_pairs."""
    pairs = [BATCH_TARGETS["pair"], BATCH_TARGETS["longer"]]
    src_vocab, tgt_vocab = Vocab([src for src, _ in pairs]), Vocab([tgt for _, tgt in pairs])
    batch = collate_pairs(pairs, src_vocab, tgt_vocab)
    return tgt_vocab.decode(batch.tgt_in[0]), tgt_vocab.decode(batch.tgt_out[0])


def _tokens(row) -> list[str] | None:
    """A row given as a list (or tuple) of tokens, or as one string of tokens separated by
    spaces; None if it is neither."""
    if isinstance(row, str):
        return row.split()
    if not isinstance(row, (list, tuple)) or not all(isinstance(token, str) for token in row):
        return None
    return [token.strip() for token in row]


def _row_problem(name: str, given: list[str], right: list[str]) -> str | None:
    """What is wrong with one row, or None: its length, else its first wrong position (never the right token)."""
    if len(given) != len(right):
        return (f"{name} has {len(given)} tokens. Every row of a batch has the same length T: that of the "
                "longest row, its French words plus one special token.")
    wrong = next((t for t, (g, r) in enumerate(zip(given, right)) if g != r), None)
    if wrong is None:
        return None
    token = given[wrong]
    if name == "tgt_in" and token == EOS:
        hint = "tgt_in is what the decoder reads, and it never reads <eos>: it only predicts it."
    elif name == "tgt_out" and token == BOS:
        hint = "tgt_out is what the decoder must predict, and it never predicts <bos>."
    elif token == PAD:
        hint = "padding comes only after the last real token of the row."
    else:
        hint = "at each position t the decoder reads tgt_in[t] and must output tgt_out[t]."
    return f"position {wrong} of {name} (counted from 0), {token!r}, is not right: {hint}"


@checker("a tuple of two lists of tokens (tgt_in, tgt_out), e.g. (['x', 'y'], ['y', 'z'])", kind=(tuple, list))
def check_batch_targets(answer) -> Feedback:
    """Exercise 4.1: the short pair's rows of ``tgt_in`` and ``tgt_out`` (``problems.BATCH_TARGETS``)."""
    if len(answer) != 2:
        return failed(f"give two rows, (tgt_in, tgt_out); yours has {len(answer)} items.")
    given = [_tokens(row) for row in answer]
    if None in given:
        return failed("each row should be a list of tokens (strings), e.g. ['x', 'y'].")
    right = list(_batch_rows())
    if given == right[::-1]:
        return failed("the two rows are swapped: the decoder reads tgt_in and must predict tgt_out.")
    for name, mine, expected in zip(("tgt_in", "tgt_out"), given, right):
        problem = _row_problem(name, mine, expected)
        if problem:
            return failed(problem)
    return passed(f"tgt_in starts with <bos>, tgt_out is tgt_in shifted one step to the left and ends its "
                  f"French with <eos>, and both are padded to T = {len(right[0])}.")


def _loss_cases() -> list[tuple[Tensor, Tensor, int]]:
    """(logits (B, T, V), targets (B, T), pad) on which to compare losses: right-padded rows, at
    least one row without padding and one with; pad is 0 in the first case, as in the chapter."""
    rng = _sizes()
    sizes = [(3, 5, 7, 0), (2, 6, 11, 4), (4, 3, 5, 1)] if rng is None else [
        (rng.randint(2, 6), rng.randint(3, 9), rng.randint(4, 30), pad) for pad in (0, None, None)]
    cases = []
    for B, T, V, pad in sizes:
        pad = pad if pad is not None else rng.randrange(V)
        targets = torch.randint(0, V - 1, (B, T))
        targets += (targets >= pad).long()  # any class but pad: (B, T)
        if pad != 0:
            targets[0, 0] = 0  # a real target 0: tells the argument pad from a hard-coded 0
        lengths = torch.randint(1, T + 1, (B,))
        lengths[0], lengths[-1] = T, int(torch.randint(1, T, ()))  # one full row, one padded
        targets[torch.arange(T) >= lengths[:, None]] = pad
        cases.append((torch.randn(B, T, V), targets, pad))
    return cases


def _loss_mistake(given: float, logits: Tensor, targets: Tensor, pad: int) -> str:
    """Which classic mistake the value ``given`` matches, or what to check."""
    B, T, V = logits.shape
    every = nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none").view(B, T)
    real = targets != pad  # (B, T)
    summed = float(every[real].sum())
    mistakes = [
        (float(every.mean()), "the padded positions count in your loss: it is the mean over all B x T "
                              "positions. Only the positions whose target is not pad may count."),
        (summed / (B * T), "you divided by all B x T positions, padding included: divide by the number of "
                           "real (non-pad) targets."),
        (summed, "you summed over the real targets; the loss is their mean: divide by how many there are."),
        (float(every.sum()), "you summed over every position, padding included: average over the real "
                             "targets only."),
        (float((every * real).sum(1).div(real.sum(1)).mean()),
         "you averaged each sentence, then the sentences: every real token should weigh the same, so "
         "divide one sum by one count."),
        (float(sequence_loss(logits, targets, 0)), "you ignored the targets equal to 0, not those equal to "
                                                    "pad: use the argument."),
        (float(-logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)[real].mean()),
         "the cross-entropy is -log softmax(logits)[target]: apply log_softmax before picking the target."),
    ]
    where = f"on logits of shape (B, T, V) = {(B, T, V)} with pad = {pad}, your loss is {given:.4f}"
    for value, message in mistakes:
        if math.isclose(given, value, rel_tol=1e-4, abs_tol=TOLERANCE):
            return f"{where}: {message}"
    return (f"{where}, which is off: it should be the mean over the real targets of "
            "-log softmax(logits[b, t])[targets[b, t]].")


def _not_a_loss(value, B: int, T: int) -> str | None:
    """What keeps ``value`` from being a loss (one number in a tensor), or None."""
    if not isinstance(value, Tensor):
        return f"your function returned a {type(value).__name__}; return a tensor, so that loss.backward() works."
    if value.numel() != 1:
        return (f"your loss has shape {tuple(value.shape)} for B = {B}, T = {T}: reduce it to one number, "
                "the mean over the real targets.")
    return None


@checker("your function masked_cross_entropy(logits, targets, pad)")
def check_masked_loss(answer: Callable) -> Feedback:
    """Exercise 4.2: the mean cross-entropy over the non-pad targets, as ``sequence_loss`` computes it.

    Compares with :func:`~bahdanau.training.sequence_loss` on a few random batches, checks that
    the loss does not change when the logits at padded positions do, and that gradients reach
    the logits (and only at real positions).
    """
    cases = _loss_cases()
    for logits, targets, pad in cases:
        B, T, _ = logits.shape
        returned = answer(logits.clone(), targets.clone(), pad)
        problem = _not_a_loss(returned, B, T)
        if problem:
            return failed(problem)
        given = float(returned)
        if not math.isfinite(given):
            return failed(f"your loss is {given} on a batch with padding: is a 0 * log 0 or a division by "
                          "zero in it?")
        if not _close(given, float(sequence_loss(logits, targets, pad)), TOLERANCE):
            return failed(_loss_mistake(given, logits, targets, pad))
    logits, targets, pad = cases[0]
    padded = targets == pad  # (B, T)
    noisy = logits.clone()
    noisy[padded] = 1000 * torch.randn(int(padded.sum()), logits.shape[-1])  # garbage at padded positions
    before = float(answer(logits.clone(), targets.clone(), pad))
    after = float(answer(noisy, targets.clone(), pad))
    if not (math.isfinite(after) and _close(after, before, TOLERANCE)):
        return failed(f"changing the logits at padded positions (to large random values) changed your loss "
                      f"from {before:.4f} to {after:.4f}: they must not count at all. Use torch.log_softmax, "
                      "and mask before summing (0 * inf is nan).")
    logits = logits.clone().requires_grad_(True)
    loss = answer(logits, targets.clone(), pad)
    if not isinstance(loss, Tensor) or not loss.requires_grad:
        return failed("no gradient reaches the logits: did .item(), float(), torch.tensor(...) or .detach() "
                      "cut the graph?")
    loss.reshape(()).backward()
    reference = logits.detach().clone().requires_grad_(True)
    sequence_loss(reference, targets, pad).backward()
    if logits.grad is None or not torch.isfinite(logits.grad).all():
        return failed("the gradient of your loss with respect to the logits is missing or not finite.")
    if float(logits.grad[padded].abs().max()) > 0:
        return failed("the gradient at padded positions is not 0: the logits there must have no effect.")
    if not torch.allclose(logits.grad, reference.grad, atol=TOLERANCE):
        return failed("the value is right but the gradient is not: is part of the computation detached?")
    return passed("the mean over the real targets, as sequence_loss computes it; the logits at padded "
                  "positions change nothing, and the gradient reaches the real ones.")


def _entropy_test_weights() -> Tensor:
    """Attention weights (B, T, S) with a one-hot row, a uniform row and masked keys."""
    rng = _sizes()
    B, T, S = _size(rng, 2, 2, 3), _size(rng, 3, 3, 5), _size(rng, 5, 4, 7)  # row (0, 2) on: no zero weight
    weights = torch.softmax(torch.randn(B, T, S), dim=-1)
    hot = 0 if rng is None else rng.randrange(S)
    weights[0, 0] = nn.functional.one_hot(torch.tensor(hot), S).float()  # certain: entropy 0
    weights[0, 1] = torch.cat((torch.full((S - 1,), 1 / (S - 1)), torch.zeros(1)))  # uniform, 1 masked: ln(S-1)
    real = 3 if rng is None else rng.randint(1, S - 1)
    weights[B - 1] = masked_softmax(torch.randn(1, T, S), torch.tensor([real]))[0]  # masked positions per row
    return weights


@checker("your function entropy(weights) -> one entropy per row")
def check_attention_entropy(answer: Callable) -> Feedback:
    """Exercise 4.3: the entropy of each output step's attention weights, natural log, 0 ln 0 = 0."""
    weights = _entropy_test_weights()
    given = answer(weights.clone())
    if not isinstance(given, Tensor):
        given = torch.as_tensor(given, dtype=torch.float32)
    given = given.detach()
    target = torch.xlogy(weights, weights).sum(dim=-1).neg()  # (B, T); xlogy(0, 0) is 0
    if tuple(given.shape) != tuple(target.shape):
        return failed(f"weights of shape (B, T, S) = {tuple(weights.shape)} need one entropy per row, shape "
                      f"(B, T); yours has shape {tuple(given.shape)}.")
    if not torch.isfinite(given).all():
        return failed("some entropies are nan: a masked position has weight 0, and 0 * log 0 must count as 0 "
                      "(torch.xlogy does that).")
    given = given.to(target.dtype)
    if torch.allclose(given, target / math.log(2), atol=TOLERANCE):
        return failed("you used log base 2; use the natural log (torch.log).")
    if torch.allclose(given, target / math.log(10), atol=TOLERANCE):
        return failed("you used log base 10; use the natural log (torch.log).")
    if torch.allclose(given, -target, atol=TOLERANCE):
        return failed("the sign is wrong: entropy is -sum alpha ln alpha, which is >= 0.")
    value, (b, t) = _largest(given - target)
    if value > TOLERANCE:
        yours = float(given[b, t])
        if yours < -TOLERANCE:
            return failed(f"row (batch {b}, step {t}) of your entropies is negative ({yours:.3f}): entropy is "
                          "-sum alpha ln alpha, and each -alpha ln alpha is >= 0.")
        return failed(f"row (batch {b}, step {t}) of your entropies, {yours:.3f}, is off: sum -alpha ln alpha "
                      "over that row's S weights, natural log.")
    S = weights.shape[-1]
    return passed(f"entropy 0 for a one-hot row, ln {S - 1} = {math.log(S - 1):.3f} for {S - 1} equal weights, "
                  "masked keys add 0.")


# ---------------------------------------------------------------------------------------------
# Chapter 5
# ---------------------------------------------------------------------------------------------


def _clipped_precisions(prediction: list[str], reference: list[str], k: int) -> list[float]:
    """p_1 .. p_k of d2l's BLEU (clipped n-gram precisions), for the diagnoses."""
    precisions = []
    for n in range(1, min(k, len(prediction)) + 1):
        grams = Counter(tuple(prediction[i : i + n]) for i in range(len(prediction) - n + 1))
        available = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
        precisions.append(sum(min(c, available[g]) for g, c in grams.items()) / sum(grams.values()))
    return precisions


@checker("a number between 0 and 1, the BLEU score", kind=(int, float, Tensor))
def check_bleu_by_hand(answer) -> Feedback:
    """Exercise 5.1: d2l's sentence BLEU of ``problems.BLEU_BY_HAND`` by hand."""
    given = _as_number(answer)
    right = bleu(**BLEU_BY_HAND)
    prediction, reference = BLEU_BY_HAND["pred_seq"].split(), BLEU_BY_HAND["label_seq"].split()
    len_pred, len_label = len(prediction), len(reference)
    brevity_penalty = math.exp(min(0.0, 1 - len_label / len_pred))
    if _close(given, right):
        return passed(f"BLEU = {right:.3f}: brevity penalty {brevity_penalty:.3f} x p_1^(1/2) x p_2^(1/4).")
    precisions = _clipped_precisions(prediction, reference, BLEU_BY_HAND["k"])
    if _close(given, 100 * right, 0.1):
        return failed("right number, wrong scale: d2l's sentence BLEU lies between 0 and 1, not 0 and 100.")
    if _close(given, right / brevity_penalty):
        return failed(f"you forgot the brevity penalty: the prediction ({len_pred} tokens) is shorter than the "
                      f"reference ({len_label}).")
    if _close(given, right / brevity_penalty * math.exp(1 - len_pred / len_label)):
        return failed("the brevity penalty is exp(1 - len_label / len_pred), not the other way round.")
    if _close(given, brevity_penalty * math.prod(p ** 0.5 for p in precisions)):
        return failed("p_n is raised to (1/2)^n: p_1 to 1/2 and p_2 to 1/4.")
    if _close(given, brevity_penalty * math.prod(precisions)):
        return failed("each p_n is raised to a power, (1/2)^n: p_1 to 1/2 and p_2 to 1/4.")
    return failed(f"{given:.3f} is not it. Multiply the brevity penalty by p_1^(1/2) and p_2^(1/4).")


def _ranking_score(log_p: float, tokens: int, alpha: float) -> float:
    """How bahdanau.decoding ranks a finished hypothesis (d2l's length penalty)."""
    return log_p / length_penalty_factor(tokens, alpha, "d2l")


@checker("your function score(log_prob_sum, length, alpha)")
def check_length_normalised_score(answer: Callable) -> Feedback:
    """Exercise 5.2: beam search's ``log p / len ** alpha`` (``bahdanau.decoding``)."""
    rng = _sizes()
    if rng is None:
        cases = [(-2.4, 3, 0.0), (-2.4, 3, 0.75), (-3.6, 6, 0.75), (-5.0, 10, 1.0), (-1.2, 1, 0.5)]
    else:
        cases = [(-round(rng.uniform(0.1, 12.0), 2), rng.randint(2, 15), alpha)
                 for alpha in (0.0, round(rng.uniform(0.2, 1.5), 2), round(rng.uniform(0.2, 1.5), 2), 1.0)]
    for log_prob_sum, length, alpha in cases:
        given = _as_number(answer(log_prob_sum, length, alpha))
        target = _ranking_score(log_prob_sum, length, alpha)
        if math.isclose(given, target, rel_tol=1e-6, abs_tol=1e-9):
            continue
        where = f"score({log_prob_sum}, {length}, {alpha}) returned {given:.4f}"
        if alpha == 0:
            return failed(f"{where}: at alpha = 0 the score is the plain log-probability.")
        if math.isclose(given, log_prob_sum * length**alpha, rel_tol=1e-6):
            return failed(f"{where}: divide by len ** alpha; multiplying punishes long hypotheses even more.")
        if math.isclose(given, -target, rel_tol=1e-6):
            return failed(f"{where}: the sign is wrong; scores are log-probabilities, so they are <= 0.")
        if math.isclose(given, log_prob_sum / length, rel_tol=1e-6):
            return failed(f"{where}: that divides by len itself; the exponent alpha is missing.")
        return failed(f"{where}, which is not log p / len ** alpha: check the exponent and what you divide.")
    return passed("score = log p / len ** alpha, as bahdanau.decoding ranks finished hypotheses.")


@checker("a tuple with the winner at each alpha, e.g. ('A', 'A')", kind=(tuple, list))
def check_beam_winner(answer) -> Feedback:
    """Exercise 5.2, second part: which of ``problems.BEAM_HYPOTHESES`` wins at each alpha."""
    names = [name.strip().strip("'\"").upper() if isinstance(name, str) else name for name in answer]
    if len(names) != len(BEAM_ALPHAS) or not all(name in BEAM_HYPOTHESES for name in names):
        return failed(f"give one of {sorted(BEAM_HYPOTHESES)} for each alpha in {BEAM_ALPHAS}.")
    winners = []
    for alpha, given in zip(BEAM_ALPHAS, names):
        scores = {name: _ranking_score(*BEAM_HYPOTHESES[name], alpha) for name in BEAM_HYPOTHESES}
        if scores[given] < max(scores.values()):
            return failed(f"not at alpha = {alpha}: compute both scores log p / len ** {alpha}; the larger "
                          "(closer to 0) wins.")
        winners.append(given)
    return passed(f"{' then '.join(winners)}: the longer hypothesis wins only once its length is normalised.")


# ---------------------------------------------------------------------------------------------
# Chapter 5: steering the attention
# ---------------------------------------------------------------------------------------------


def _as_step(given) -> int | None:
    """The learner's step as an int (a NumPy or one-element tensor integer too), or None."""
    if given is None:
        return None
    if isinstance(given, Translation):
        raise TypeError("return the step (an int), not the steered translation")
    if isinstance(given, bool):
        raise TypeError("return a step number (an int), not True or False")
    if isinstance(given, (list, tuple, set, range)):
        raise TypeError("return the first step only, one int, not a collection of steps")
    try:
        return operator.index(given)
    except TypeError:
        raise TypeError(f"return a step, an int (or None), not a {type(given).__name__}") from None


def _steered(translator, sentence: str, src_tokens: list[str], word: str, step: int) -> Translation:
    """``sentence``'s greedy translation with all of output step ``step``'s weight on the first
    ``word`` of its ``src_tokens`` (the words, then ``<eos>``)."""
    focus = focus_row(len(src_tokens), src_tokens.index(word))  # (S,)
    return translator.translate(sentence, override={step: focus})


def _steering_mistake(answer: Callable, translator, sentence: str, word: str, french: str
                      ) -> tuple[str | None, int | None]:
    """What is wrong with the step the learner's function finds for one question (or None), and that step.

    The step is verified, never compared with a stored one: steered onto the first ``word``
    of the sentence, it must write ``french``, and no step before it may; None must mean that no
    row of the heatmap writes it, the ``<eos>`` row included.
    """
    unsteered = translator.translate(sentence)
    rows = len(unsteered.attention)  # T: one step per French word, then the <eos> row

    def writes(step: int) -> bool:
        return french in _steered(translator, sentence, unsteered.src_tokens, word, step).tokens

    asked = f"for ({sentence!r}, {word!r}, {french!r}),"
    # A word that occurs more than once: the question is about its first occurrence.
    first = f" ({word!r} occurs more than once: steer onto the first)" if unsteered.src_tokens.count(word) > 1 else ""
    returned = answer(translator, sentence, word, french)
    try:
        step = _as_step(returned)
    except TypeError as error:
        return f"{asked} {error}.", None
    if step is None:
        writing = [row for row in range(rows) if writes(row)]
        if not writing:
            return None, None
        if writing == [rows - 1] and unsteered.finished:
            return (f"{asked} you returned None, yet the <eos> row, the heatmap's last row (after the "
                    f"{len(unsteered.tokens)} French words), is a step too: steered onto {word!r}, it writes "
                    f"{french!r}.", None)
        return (f"{asked} you returned None, yet steering a step onto {word!r}{first} does write {french!r}: "
                "try every step, from 0 (the first French word) to the <eos> row.", None)
    if 1 <= step <= rows and writes(step - 1):
        return (f"{asked} the step before {step} already writes {french!r} when steered: return the first step "
                "that writes it, counted from 0 (the first French word) as override counts them.", step)
    if not 0 <= step < rows:
        return (f"{asked} step {step} is no step of the translation: they run from 0 (the first French word) to "
                f"{rows - 1} (the <eos> row).", step)
    if not writes(step):
        text = _steered(translator, sentence, unsteered.src_tokens, word, step).text
        return f"{asked} step {step}, steered onto {word!r}{first}, gives {text!r}, which has no {french!r}.", step
    if any(writes(row) for row in range(step - 1)):
        return f"{asked} an earlier step than {step} also writes {french!r} when steered: return the first.", step
    return None, step


def _absent_word_mistake(answer: Callable, translator, sentence: str, word: str, french: str) -> str | None:
    """What is wrong with the learner's function for a word that is not in the sentence, or None."""
    which = f"for {word!r}, which {sentence!r} does not have,"
    try:
        given = answer(translator, sentence, word, french)
    except ValueError:
        return None
    except Exception as error:  # the learner's code: any exception at all
        return f"{which} raise ValueError (list.index does), not {type(error).__name__}."
    if given is None:
        return (f"{which} raise ValueError (list.index does) rather than return None: None says that the word "
                f"is there and no step writes {french!r}.")
    return f"{which} raise ValueError: there is no column to steer onto, yet you returned {given!r}."


@checker("your function first_step_that_writes(translator, sentence, word, french)")
def check_steered_word(answer: Callable) -> Feedback:
    """Exercise 5.4: the first output step whose attention, all moved onto an English word, makes a
    French word appear in the translation (``problems.STEERING``, then ``problems.STEERING_PROBES``).

    The learner's function takes a :class:`~bahdanau.pretrained.Translator`, the sentence, the
    English word and the French word, and returns a step (0 for the first French word) or None;
    it raises ValueError for a word the sentence does not have. The sentences are fixed:
    ``seed`` changes nothing.
    """
    translator = shipped_translator(STEERING["model"])
    questions = [(STEERING["sentence"], STEERING["word"], STEERING["french"]), *STEERING_PROBES["cases"]]
    found = []
    for question in questions:
        mistake, step = _steering_mistake(answer, translator, *question)
        if mistake is not None:
            return failed(mistake)
        found.append(step)
    mistake = _absent_word_mistake(answer, translator, *STEERING_PROBES["absent"])
    if mistake is not None:
        return failed(mistake)
    sentence, word, french = questions[0]
    steered = _steered(translator, sentence, translator.translate(sentence).src_tokens, word, found[0])
    return passed(f"step {found[0]} is the first to write {french!r} once it looks only at {word!r}: "
                  f"{steered.text!r}. Checked on {len(questions)} sentences (the first French word, no step "
                  "at all, the <eos> row, a repeated word) and a word that is not in the sentence.")


# ---------------------------------------------------------------------------------------------
# Chapter 6
# ---------------------------------------------------------------------------------------------


@checker("a number between 0 and 1, the alignment error rate", kind=(int, float, Tensor))
def check_aer_by_hand(answer) -> Feedback:
    """Exercise 6.2: the alignment error rate of ``problems.AER_BY_HAND``, with sure and possible links.

    Och and Ney's AER, ``1 - (|A ∩ S| + |A ∩ P|) / (|A| + |S|)``; with P = S it is
    :func:`~bahdanau.alignment.alignment_error_rate`, which the diagnoses use.
    """
    given = _as_number(answer)
    A, S, P = (set(AER_BY_HAND[key]) for key in ("predicted", "sure", "possible"))
    numerator, denominator = len(A & S) + len(A & P), len(A) + len(S)
    right = 1 - numerator / denominator
    if _close(given, right):
        return passed(f"AER = 1 - ({len(A & S)} + {len(A & P)}) / ({len(A)} + {len(S)}) = {right:.3f}.")
    if _close(given, 100 * right, 0.1):
        return failed("right number, wrong scale: the AER lies between 0 and 1, not 0 and 100.")
    mistakes = [
        (numerator / denominator, "that is 1 - AER: the AER is an error rate, so 0 is a perfect alignment."),
        (1 - numerator / (len(A) + len(P)), "the denominator is |A| + |S|, not |A| + |P|: a possible link "
                                            "that the prediction misses is no error."),
        (alignment_error_rate(A, S), "you counted the sure links only, as the chapter's AER does; here a "
                                     "predicted link that is possible also counts, through |A ∩ P|."),
        (alignment_error_rate(A, P), "you treated every possible link as sure (S = P): |A ∩ S| and the "
                                     "denominator |A| + |S| count the sure links only."),
        (1 - (len(A & S) + len(A & (P - S))) / denominator, "P holds the sure links too (S ⊆ P): |A ∩ P| "
                                                           "counts every predicted link that is sure or possible."),
        (1 - 2 * len(A & P) / denominator, "the numerator adds |A ∩ S| and |A ∩ P|, two different counts."),
    ]
    for value, message in mistakes:
        if _close(given, value):
            return failed(message)
    if not 0 <= given <= 1:
        return failed(f"{given:g} cannot be an AER: it lies between 0 and 1.")
    return failed(f"{given:.3f} is not it. AER = 1 - (|A ∩ S| + |A ∩ P|) / (|A| + |S|): count each of "
                  "the four sets first.")


# ---------------------------------------------------------------------------------------------
# Reading a heatmap (the last exercise of every chapter)
# ---------------------------------------------------------------------------------------------


def _source_token(answer: str, src_tokens: list[str]) -> str | None:
    """The answer as one of the sentence's source tokens, or None (quotes and case forgiven)."""
    token = answer.strip().strip("'\"").lower()
    return token if token in src_tokens else None


def _check_token_read(answer: str, problem: dict, values: Tensor, what: str, look: str) -> Feedback:
    """Compare a token read off a heatmap with the column of the largest entry of ``values``.

    ``values`` (S,) holds, per column, the number the learner compares by eye; ``what`` names it
    with a ``{value}`` to fill in, e.g. "weight {value} in row 4"; ``look`` says where to look
    again when the answer is wrong.
    """
    src_tokens = reading_translation(problem["sentence"], problem["model"]).src_tokens
    token = _source_token(answer, src_tokens)
    if token is None:
        return failed(f"{answer!r} is not a column of the heatmap; the columns are {' '.join(src_tokens)}.")
    mine = float(values[src_tokens.index(token)])
    described = what.format(value=f"{mine:.2f}")
    if mine >= float(values.max()):
        return passed(f"{token!r}: {described}, more than any other column.")
    return failed(f"{token!r} has {described}, and another column has more: {look}")


@checker("an English token from the heatmap, e.g. 'saw'", kind=str)
def check_read_alignment(answer: str) -> Feedback:
    """Exercise 1.3: the English token with the largest weight in one output row."""
    return _check_row_peak(answer, READING["alignment"])


def _check_row_peak(answer: str, problem: dict) -> Feedback:
    """A token read as the darkest cell of the problem's row (counted from 1 at the top)."""
    row = problem["row"]
    weights = reading_translation(problem["sentence"], problem["model"]).attention[row - 1]  # (S,): that row
    return _check_token_read(answer, problem, weights, f"weight {{value}} in row {row}",
                             f"look along row {row} (counted from 1 at the top) for its darkest cell.")


def _check_column_total(answer: str, problem: dict) -> Feedback:
    """A token read as the darkest column overall: compare the column totals."""
    totals = reading_translation(problem["sentence"], problem["model"]).attention.sum(dim=0)  # (S,): per column
    return _check_token_read(answer, problem, totals, "a column total of {value}",
                             "add up each column's cells (rows sum to 1, columns need not) and compare.")


@checker("an English token from the heatmap, e.g. 'saw'", kind=str)
def check_read_total_attention(answer: str) -> Feedback:
    """Exercise 2.4: the English token whose column holds the most weight in total."""
    return _check_column_total(answer, READING["total"])


@checker("a decoder step, counted from 1 (the first output row), e.g. 3", kind=int)
def check_read_certainty(answer: int) -> Feedback:
    """Exercise 3.4: the decoder step (row, from 1) that holds the single largest weight."""
    result = reading_translation(READING["certainty"]["sentence"], READING["certainty"]["model"])
    row_peaks = result.attention.max(dim=1).values  # (T,): the largest weight of each row
    if isinstance(answer, bool) or not 1 <= answer <= len(row_peaks):
        return failed(f"the heatmap has rows 1 to {len(row_peaks)}; step {answer} is not one of them.")
    mine = float(row_peaks[answer - 1])
    if mine >= float(row_peaks.max()):
        word = result.tokens[answer - 1] if answer <= len(result.tokens) else "<eos>"
        return passed(f"step {answer} (the French word {word!r}) puts weight {mine:.2f} on one English token.")
    return failed(f"the largest weight in row {answer} is {mine:.2f}, and another row holds a darker cell: compare "
                  "each row's darkest cell.")


@checker("an English token from the heatmap, e.g. 'saw'", kind=str)
def check_read_failure(answer: str) -> Feedback:
    """Exercise 5.3: the English token that received the most attention in a flawed translation."""
    return _check_column_total(answer, READING["failure"])


@checker("an English token from the heatmap, e.g. 'saw'", kind=str)
def check_read_one_word_late(answer: str) -> Feedback:
    """Exercise 6.3: the English token with the largest weight in one row of d2l's one-directional model."""
    return _check_row_peak(answer, READING["late"])
