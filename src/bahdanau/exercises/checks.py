"""One checker per exercise. Each takes the learner's answer and returns a :class:`Feedback`.

A checker compares with the reference solution in :mod:`bahdanau.exercises.solutions` and, when
the answer is wrong, says what is wrong and where: which shape, which padded position got
weight, which mistake a number matches (the raw score instead of the weight, a forgotten bias,
a forgotten brevity penalty). Answers that are functions or modules are run on small random
inputs (the same at every call); nothing here trains for more than a second.

Shapes: B batch, Q queries, K keys, S source length, T target length, H hidden size,
V vocabulary size, L layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ..attention import AdditiveAttention, masked_softmax
from ..bench import time_pair
from ..models import EncoderDecoder, Seq2SeqEncoder
from . import solutions
from .feedback import Feedback, checker, failed, passed
from .lab import reading_translation
from .problems import (
    BEAM_ALPHAS,
    BEAM_HYPOTHESES,
    DECODER_SHAPES,
    ENCODER_SHAPES,
    PARAMETER_COUNT,
    READING,
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
    "check_length_normalised_score",
    "check_beam_winner",
    "check_attention_entropy",
    "check_read_alignment",
    "check_read_total_attention",
    "check_read_certainty",
    "check_read_failure",
]

TOLERANCE = 1e-4  # for tensors computed two ways; numbers worked out by hand get 1e-3


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _as_shape(value) -> tuple[int, ...]:
    """A shape given as a tuple, a list or a torch.Size, as a tuple of ints."""
    if not isinstance(value, (tuple, list, torch.Size)) or not all(isinstance(n, int) for n in value):
        raise TypeError(f"{value!r} is not a shape such as (4, 7, 16)")
    return tuple(value)


def _check_shapes(answer, names: Sequence[str], expected: Sequence[tuple[int, ...]], hints: dict) -> Feedback:
    """Compare a tuple of shapes with the expected ones, one name per shape.

    ``hints`` maps (index, wrong shape) to an explanation of that particular mistake.
    """
    if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
        return failed(f"give a tuple of {len(expected)} shapes: ({', '.join(names)}).")
    for index, (name, given, right) in enumerate(zip(names, answer, expected)):
        given = _as_shape(given)
        if given != right:
            hint = hints.get((index, given), "")
            return failed(f"the shape of {name} is not {given}. {hint}".strip())
    return passed(f"{', '.join(f'{n} {s}' for n, s in zip(names, expected))}.")


def _as_number(answer) -> float:
    if isinstance(answer, Tensor):
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise TypeError(f"expected a number, got {type(answer).__name__}")
    return float(answer)


def _module(answer, *args, **kwargs) -> nn.Module:
    """An instance from a class (built with ``args``) or the instance itself, in eval mode."""
    module = answer(*args, **kwargs) if isinstance(answer, type) else answer
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


# ---------------------------------------------------------------------------------------------
# Chapter 1
# ---------------------------------------------------------------------------------------------


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
        (1, (1, B, H)): "Every layer (L = 2) has its own final state.",
    }
    return _check_shapes(answer, ("enc_outputs", "hidden_state"), solutions.encoder_shapes(), hints)


@checker("a whole number, the count of parameters", kind=(int, float, Tensor))
def check_parameter_count(answer) -> Feedback:
    """Exercise 1.2: the number of parameters of a one-layer encoder (see ``problems.PARAMETER_COUNT``)."""
    p = PARAMETER_COUNT
    V, E, H = p["vocab_size"], p["embed_size"], p["num_hiddens"]
    encoder = Seq2SeqEncoder(V, E, H, p["num_layers"])
    right = sum(parameter.numel() for parameter in encoder.parameters())
    given = _as_number(answer)
    if given == right:
        return passed(f"{right} = {V * E} (embedding) + {right - V * E} (GRU: 3 weight blocks x (H*E + H*H + 2H)).")
    mistakes = {
        right - 3 * 2 * H: (
            "you forgot the biases: each of the 3 weight blocks has two bias vectors of size H in PyTorch."
        ),
        right - 3 * H: "PyTorch's GRU has two bias vectors per weight block (b_ih and b_hh), not one.",
        right - V * E: "you forgot the embedding table: one E-vector per word of the vocabulary.",
        V * E + (right - V * E) // 3: (
            "a GRU has three blocks of weights (reset gate, update gate, candidate state), each its own."
        ),
        V * E + 4 * (right - V * E) // 3: "that would be an LSTM (four weight blocks); a GRU has three.",
    }
    return failed(mistakes.get(given, f"{given:g} is not it. Count the embedding, then 3 weight blocks x (input "
                                      "matrix + recurrent matrix + biases)."))


@checker("your encoder class, e.g. BidirectionalEncoder (built as cls(vocab_size, embed_size, num_hiddens))")
def check_bidirectional_encoder(answer) -> Feedback:
    """Exercise 4.4: a bidirectional encoder whose halves look only one way and ignore padding."""
    V, E, H = 20, 8, 6
    encoder = _module(answer, vocab_size=V, embed_size=E, num_hiddens=H)
    X = torch.randint(1, V, (3, 7))  # (B, S)
    valid_lens = torch.tensor([7, 5, 3])

    def run(src: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            outputs, hidden_state = encoder(src, valid_lens)
        return outputs, hidden_state

    outputs, hidden_state = run(X)
    if tuple(outputs.shape) != (3, 7, 2 * H):
        return failed(f"the annotations should have shape (B, S, 2H) = (3, 7, {2 * H}), got {tuple(outputs.shape)}.")
    if tuple(hidden_state.shape) != (1, 3, H):
        return failed(f"the state should have shape (L, B, H) = (1, 3, {H}), got {tuple(hidden_state.shape)}.")

    j = 3  # a position of sentence 0 (7 real tokens)
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

    padded = X.clone()
    padded[1, 5:] = (X[1, 5:] % (V - 1)) + 1  # sentence 1 has 5 real tokens: change its padding
    with_padding, state_padding = run(padded)
    value, (position, feature) = _largest(with_padding[1, :5] - outputs[1, :5])
    if value > TOLERANCE:
        half = "forward" if feature < H else "backward"
        return failed(f"changing the padding of sentence 1 (positions 5, 6) changed the {half} half at position "
                      f"{position} by {value:.2f}: the backward direction must start at the last real token.")
    state_change = float((state_padding[:, 1] - hidden_state[:, 1]).abs().max())
    if state_change > TOLERANCE:
        return failed(f"changing the padding of sentence 1 changed its state by {state_change:.2f}.")
    return passed(
        "annotations (B, S, 2H); ->h_j ignores later tokens, <-h_j earlier ones, and padding changes nothing."
    )


# ---------------------------------------------------------------------------------------------
# Chapter 2
# ---------------------------------------------------------------------------------------------


@checker("a number between 0 and 1, the weight alpha_1", kind=(int, float, Tensor))
def check_attention_weight(answer) -> Feedback:
    """Exercise 2.1: one attention weight by hand (see ``problems.WEIGHT_BY_HAND``)."""
    p = WEIGHT_BY_HAND
    given = _as_number(answer)
    right = solutions.attention_weight_by_hand()
    if math.isclose(given, right, abs_tol=1e-3):
        return passed(f"alpha_1 = {right:.3f}.")
    scores = torch.tanh(p["W_q"] @ p["query"] + p["keys"] @ p["W_k"].T) @ p["w_v"]  # all 3 keys, padding too
    mistakes = [
        (float(scores[0]), "that is the raw score e_1; the weight is the softmax of the scores."),
        (float(torch.softmax(scores, 0)[0]), "you included the masked (padded) key 3 in the softmax; only the "
                                              f"first {p['valid_len']} keys are real."),
        (1 - right, "that is the weight of key 2; the exercise asks for key 1."),  # two real keys: 1 - alpha_1
    ]
    for value, message in mistakes:
        if math.isclose(given, value, abs_tol=1e-3):
            return failed(message)
    if not 0 <= given <= 1:
        return failed(f"{given:g} cannot be a weight: attention weights lie between 0 and 1.")
    return failed(
        f"{given:.3f} is not it. Compute e_j = w_v^T tanh(W_q q + W_k k_j) for the real keys, then a softmax."
    )


@checker("your function additive_attention_weights(queries, keys, valid_lens, W_q, W_k, w_v)")
def check_additive_weights(answer: Callable) -> Feedback:
    """Exercise 2.2: additive scores and the masked softmax, as one function of plain tensors."""
    B, Q, K, query_size, key_size, h = 2, 3, 6, 4, 5, 7
    args = dict(
        queries=torch.randn(B, Q, query_size), keys=torch.randn(B, K, key_size), valid_lens=torch.tensor([4, 2]),
        W_q=torch.randn(h, query_size), W_k=torch.randn(h, key_size), w_v=torch.randn(h),
    )
    weights = answer(*args.values())
    if not isinstance(weights, Tensor):
        return failed(f"your function returned a {type(weights).__name__}, not a tensor of weights.")
    if tuple(weights.shape) != (B, Q, K):
        return failed(f"the weights should have shape (B, Q, K) = {(B, Q, K)}, got {tuple(weights.shape)}.")
    if not torch.isfinite(weights).all():
        return failed("some weights are nan or inf (masking with -inf a row with no real key?).")
    problem = _weights_on_padding(weights, args["valid_lens"]) or _rows_not_summing_to_one(weights)
    if problem:
        return failed(problem + ".")
    right = solutions.additive_attention_weights(*args.values())
    value, (b, q, k) = _largest(weights.detach() - right)
    if value > TOLERANCE:
        return failed(f"the weight of key {k} for batch {b}, query {q} is {float(weights[b, q, k]):.3f}, expected "
                      f"{float(right[b, q, k]):.3f}: check e = w_v^T tanh(W_q q + W_k k) (matrices act on the left).")
    return passed("right shape, no weight on padding, each row sums to 1, and the values match.")


@checker("your attention module (or class), e.g. DotProductAttention()")
def check_dot_product_attention(answer) -> Feedback:
    """Exercise 2.3: dot-product (Luong) scoring with ``AdditiveAttention``'s call interface.

    When correct, the message also reports its speed against additive attention for one decoder
    step at the size of the shipped model (B=128, K=10, H=256).
    """
    attention = _module(answer)
    queries, keys, values = torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 4)
    valid_lens = torch.tensor([5, 3])
    with torch.no_grad():
        returned = attention(queries=queries, keys=keys, values=values, valid_lens=valid_lens)
    if not isinstance(returned, tuple) or len(returned) != 2:
        return failed("forward should return two things, (context, weights), as AdditiveAttention does.")
    context, weights = returned
    problem = _output_and_weights_problem(context, (2, 3, 4), "the context should have the values' size, (B, Q, D_v)",
                                          weights, (2, 3, 5), valid_lens, weights_name="the weights you return")
    if problem:
        return failed(problem + ".")
    right = masked_softmax(queries @ keys.transpose(1, 2), valid_lens)  # (B, Q, K)
    if not torch.allclose(weights, right, atol=TOLERANCE):
        scaled = masked_softmax(queries @ keys.transpose(1, 2) / math.sqrt(8), valid_lens)
        if torch.allclose(weights, scaled, atol=TOLERANCE):
            return failed("you divided the scores by sqrt(d): that is the Transformer's scaled dot product; "
                          "Luong's 'dot' score is s^T h_j, unscaled.")
        return failed("the weights differ from softmax(s^T h_j) over the real keys.")
    if not torch.allclose(context, right @ values, atol=TOLERANCE):
        return failed("the weights are right but the context is not their weighted average of the values.")
    B, K, H = 128, 10, 256
    step_queries, step_keys = torch.randn(B, 1, H), torch.randn(B, K, H)
    additive_attention = AdditiveAttention(H, H, H).eval()
    with torch.no_grad():
        cached_keys = additive_attention.project_keys(step_keys)  # once per sentence, as our decoder does
        # Interleaved, median of many calls: a single timing on a busy laptop can be off by 10x.
        yours, additive = time_pair(
            lambda: attention(queries=step_queries, keys=step_keys, values=step_keys),
            lambda: additive_attention(queries=step_queries, keys=step_keys, values=step_keys,
                                       projected_keys=cached_keys),
            repeats=30,
        )
    return passed(f"weights and context are right. One step at B={B}, K={K}, H={H}: {1000 * yours:.3f} ms, against "
                  f"{1000 * additive:.3f} ms for additive attention with its keys projected in advance "
                  f"({additive / max(yours, 1e-9):.1f}x).")


# ---------------------------------------------------------------------------------------------
# Chapter 3
# ---------------------------------------------------------------------------------------------


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
        (2, (1, B, H)): "Every layer (L = 2) has its own state.",
    }
    return _check_shapes(answer, ("logits", "attention_weights", "hidden_state"), solutions.decoder_shapes(), hints)


def _decoder_model(answer, num_layers: int) -> tuple[EncoderDecoder, nn.Module]:
    src_vocab, tgt_vocab, H = 20, 12, 16
    encoder = Seq2SeqEncoder(src_vocab, 8, H, num_layers)
    decoder = _module(answer, tgt_vocab, 8, H, num_layers)
    return EncoderDecoder(encoder, decoder).eval(), decoder


def _padding_problem(model: EncoderDecoder, decoder: nn.Module) -> Feedback | None:
    """Run a padded batch; None if the shapes are right and padding has no effect, else why not."""
    src = torch.randint(3, 20, (2, 9))  # (B, S)
    valid_lens = torch.tensor([5, 9])  # sentence 0 has padding at 5..8
    tgt_in = torch.randint(3, 12, (2, 4))  # (B, T)
    with torch.no_grad():
        logits = model(src, tgt_in, valid_lens)
        weights = getattr(decoder, "attention_weights", None)
        other_padding = src.clone()
        other_padding[0, 5:] = torch.randint(3, 20, (4,))
        logits_other = model(other_padding, tgt_in, valid_lens)
    problem = _output_and_weights_problem(logits, (2, 4, 12), "the logits should have shape (B, T, V)",
                                          weights, (2, 4, 9), valid_lens)
    if problem:
        return failed(problem + ".")
    change = float((logits_other - logits).abs().max())
    if change > TOLERANCE:
        return failed(f"changing the padded source tokens of sentence 0 changed its logits by {change:.3f}.")
    with torch.no_grad():
        alone = model(src[:1, :5], tgt_in[:1], valid_lens[:1])  # sentence 0 in a batch of its own: no padding
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


def _overfit_loss(model: EncoderDecoder, steps: int = 60) -> tuple[float, float]:
    """Train on one fixed batch of 4 random sentences; the loss before and after ``steps`` Adam steps."""
    src, valid_lens = torch.randint(3, 20, (4, 6)), torch.tensor([6, 5, 4, 3])
    tgt = torch.randint(3, 12, (4, 6))
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    losses = []
    for _ in range(steps):
        logits = model(src, tgt_in, valid_lens)  # (B, T, V)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses[0], losses[-1]


@checker("your LSTM decoder class (built as cls(vocab_size, embed_size, num_hiddens, num_layers))")
def check_lstm_decoder(answer) -> Feedback:
    """Exercise 3.3: an attention decoder with an LSTM; shapes, padding, and that it can learn."""
    model, decoder = _decoder_model(answer, num_layers=2)
    if not any(isinstance(module, nn.LSTM) for module in decoder.modules()):
        return failed("your decoder has no nn.LSTM inside.")
    problem = _padding_problem(model, decoder)
    if problem is not None:
        return problem
    first, last = _overfit_loss(model)
    if not last < 0.1:
        return failed(f"in 60 steps on one tiny batch the loss went from {first:.2f} to {last:.2f} only "
                      "(it should fall below 0.1): are the gradients reaching the LSTM?")
    return passed(f"shapes, per-step weights and padding are right, and it learnt a tiny batch (loss {first:.2f} "
                  f"-> {last:.3f}).")


# ---------------------------------------------------------------------------------------------
# Chapter 4
# ---------------------------------------------------------------------------------------------


@checker("a number between 0 and 1, the BLEU score", kind=(int, float, Tensor))
def check_bleu_by_hand(answer) -> Feedback:
    """Exercise 4.1: d2l's sentence BLEU of ``problems.BLEU_BY_HAND`` by hand."""
    given = _as_number(answer)
    right = solutions.bleu_by_hand()
    if math.isclose(given, right, abs_tol=1e-3):
        return passed(f"BLEU = {right:.3f}: brevity penalty {math.exp(1 - 5 / 3):.3f} x p_1^(1/2) x p_2^(1/4).")
    if math.isclose(given, 100 * right, abs_tol=0.1):
        return failed("right number, wrong scale: d2l's sentence BLEU lies between 0 and 1, not 0 and 100.")
    brevity_penalty = math.exp(1 - 5 / 3)
    if math.isclose(given, right / brevity_penalty, abs_tol=1e-3):
        return failed("you forgot the brevity penalty: the prediction (3 tokens) is shorter than the reference (5).")
    if math.isclose(given, brevity_penalty * 0.5 ** 0.5, abs_tol=1e-3):
        return failed("p_n is raised to (1/2)^n: p_1 to 1/2 and p_2 to 1/4.")
    return failed(f"{given:.3f} is not it. Multiply the brevity penalty by p_1^(1/2) and p_2^(1/4).")


@checker("your function score(log_prob_sum, length, alpha)")
def check_length_normalised_score(answer: Callable) -> Feedback:
    """Exercise 4.2: beam search's ``log p / len ** alpha`` (``bahdanau.decoding``)."""
    cases = [(-2.4, 3, 0.0), (-2.4, 3, 0.75), (-3.6, 6, 0.75), (-5.0, 10, 1.0), (-1.2, 1, 0.5)]
    for log_prob_sum, length, alpha in cases:
        given = _as_number(answer(log_prob_sum, length, alpha))
        right = solutions.length_normalised_score(log_prob_sum, length, alpha)
        if math.isclose(given, right, rel_tol=1e-6, abs_tol=1e-9):
            continue
        where = f"score({log_prob_sum}, {length}, {alpha}) returned {given:.4f}, expected {right:.4f}"
        if alpha == 0:
            return failed(f"{where}: at alpha = 0 the score is the plain log-probability.")
        if math.isclose(given, log_prob_sum * length**alpha, rel_tol=1e-6):
            return failed(f"{where}: divide by len ** alpha; multiplying punishes long hypotheses even more.")
        if math.isclose(given, -right, rel_tol=1e-6):
            return failed(f"{where}: the sign is wrong; scores are log-probabilities, so they are <= 0.")
        return failed(f"{where}.")
    return passed("score = log p / len ** alpha, as bahdanau.decoding ranks finished hypotheses.")


@checker("a tuple with the winner at each alpha, e.g. ('A', 'A')", kind=(tuple, list))
def check_beam_winner(answer) -> Feedback:
    """Exercise 4.2, second part: which of ``problems.BEAM_HYPOTHESES`` wins at each alpha."""
    right = solutions.beam_winners()
    if len(answer) != len(right) or not all(name in BEAM_HYPOTHESES for name in answer):
        return failed(f"give one of {sorted(BEAM_HYPOTHESES)} for each alpha in {BEAM_ALPHAS}.")
    for alpha, given, winner in zip(BEAM_ALPHAS, answer, right):
        if given != winner:
            return failed(f"not at alpha = {alpha}: compute both scores log p / len ** {alpha}; the larger "
                          "(closer to 0) wins.")
    return passed(f"{' then '.join(right)}: the longer hypothesis wins only once its length is normalised.")


@checker("your function entropy(weights) -> one entropy per row")
def check_attention_entropy(answer: Callable) -> Feedback:
    """Exercise 4.3: the entropy of each output step's attention weights, natural log, 0 ln 0 = 0."""
    weights = torch.softmax(torch.randn(2, 3, 5), dim=-1)  # (B, T, S)
    weights[0, 0] = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])  # certain: entropy 0
    weights[0, 1] = torch.tensor([0.25, 0.25, 0.25, 0.25, 0.0])  # uniform over 4 real keys, 1 masked: ln 4
    weights[1] = masked_softmax(torch.randn(1, 3, 5), torch.tensor([3]))[0]  # 2 masked positions per row
    given = answer(weights.clone())
    if not isinstance(given, Tensor):
        given = torch.as_tensor(given, dtype=torch.float32)
    right = solutions.attention_entropy(weights)
    if tuple(given.shape) != tuple(right.shape):
        return failed(f"weights of shape (B, T, S) = {tuple(weights.shape)} need one entropy per row, shape "
                      f"{tuple(right.shape)}; yours has shape {tuple(given.shape)}.")
    if not torch.isfinite(given).all():
        return failed("some entropies are nan: a masked position has weight 0, and 0 * log 0 must count as 0 "
                      "(torch.xlogy does that).")
    if torch.allclose(given, right / math.log(2), atol=TOLERANCE):
        return failed("you used log base 2; use the natural log (torch.log).")
    if torch.allclose(given, -right, atol=TOLERANCE):
        return failed("the sign is wrong: entropy is -sum alpha ln alpha, which is >= 0.")
    value, index = _largest(given - right)
    if value > TOLERANCE:
        return failed(f"row {index} of the weights has entropy {float(right[index]):.3f}, yours gives "
                      f"{float(given[index]):.3f}.")
    return passed(f"entropy 0 for a one-hot row, ln 4 = {math.log(4):.3f} for 4 equal weights, masked keys add 0.")


# ---------------------------------------------------------------------------------------------
# Reading a heatmap (the last exercise of every chapter)
# ---------------------------------------------------------------------------------------------


def _source_token(answer: str, src_tokens: list[str]) -> str | None:
    """The answer as one of the sentence's source tokens, or None (quotes and case forgiven)."""
    token = answer.strip().strip("'\"").lower()
    return token if token in src_tokens else None


def _check_token_read(answer: str, problem: dict, right: str, values: Tensor, what: str) -> Feedback:
    """Compare a token read off a heatmap with ``right``.

    ``values`` (S,) holds, per column, the number the learner compares by eye; ``what`` names it,
    e.g. "weight in row 4".
    """
    src_tokens = reading_translation(problem["sentence"], problem["model"]).src_tokens
    token = _source_token(answer, src_tokens)
    if token is None:
        return failed(f"{answer!r} is not a column of the heatmap; the columns are {' '.join(src_tokens)}.")
    if token == right:
        return passed(f"{right!r}: {what} {float(values.max()):.2f}, more than any other column.")
    return failed(f"{token!r} has {what} {float(values[src_tokens.index(token)]):.2f}, but another column has "
                  f"{float(values.max()):.2f}: look for the darker one.")


@checker("an English token from the heatmap, e.g. 'saw'", kind=str)
def check_read_alignment(answer: str) -> Feedback:
    """Exercise 1.3: the English token with the largest weight in one output row."""
    problem = READING["alignment"]
    # (S,): the weights of that row
    weights = reading_translation(problem["sentence"], problem["model"]).attention[problem["row"] - 1]
    return _check_token_read(answer, problem, solutions.read_alignment(), weights,
                             f"a weight in row {problem['row']} of")


def _check_column_total(answer: str, problem: dict, right: str) -> Feedback:
    """A token read as the darkest column overall: compare the column totals."""
    # (S,): one total per column
    totals = reading_translation(problem["sentence"], problem["model"]).attention.sum(dim=0)
    return _check_token_read(answer, problem, right, totals, "a column total of")


@checker("an English token from the heatmap, e.g. 'old'", kind=str)
def check_read_total_attention(answer: str) -> Feedback:
    """Exercise 2.4: the English token whose column holds the most weight in total."""
    return _check_column_total(answer, READING["total"], solutions.read_total_attention())


@checker("a decoder step, counted from 1 (the first output row), e.g. 3", kind=int)
def check_read_certainty(answer: int) -> Feedback:
    """Exercise 3.4: the decoder step (row, from 1) that holds the single largest weight."""
    result = reading_translation(READING["certainty"]["sentence"], READING["certainty"]["model"])
    largest = result.attention.max(dim=1).values  # (T,): the largest weight of each row
    right = solutions.read_certainty()
    if not 1 <= answer <= len(largest):
        return failed(f"the heatmap has rows 1 to {len(largest)}; step {answer} is not one of them.")
    if answer == right:
        return passed(f"step {right} (the French word {result.tokens[right - 1]!r}) puts weight "
                      f"{float(largest[right - 1]):.2f} on one English token.")
    return failed(f"the largest weight in row {answer} is {float(largest[answer - 1]):.2f}; another row has "
                  f"{float(largest.max()):.2f}.")


@checker("an English token from the heatmap, e.g. 'tea'", kind=str)
def check_read_failure(answer: str) -> Feedback:
    """Exercise 4.5: the English token that received the most attention in a flawed translation."""
    return _check_column_total(answer, READING["failure"], solutions.read_failure())
