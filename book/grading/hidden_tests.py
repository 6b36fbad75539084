"""Hidden tests of the autograder, one or more per exercise of bahdanau.exercises.EXERCISES.

The tests of an exercise are found from its record: they are the top-level functions
``hidden_<name>_<what>``, where ``<name>`` is the record's ``Exercise.name`` (its label without
``ex-``, dashes read as underscores), and they take the record's answer variables,
``Exercise.variables``, as parameters: ``answer_<name>``, and for the length-normalisation
exercise, which has two answers, also ``answer_length_normalisation_winners``.
``make_assignments.py`` checks both (``record_problems``) and copies each function's source into
an Otter test cell, so every function is self-contained: it imports what it needs in its body
and uses nothing else from this file. A test passes by returning and fails with an
AssertionError that says which property failed, never what the answer is. Each works the right
answer out from the package (other seeds of the public checkers, other sizes, batches of one,
gradients, inputs left unchanged) and runs in well under 5 s; none imports the solutions.

Shapes: B batch, Q queries, K keys, S source length, T target length, H hidden size.
"""

# ---------------------------------------------------------------------------------------------
# Chapter 1
# ---------------------------------------------------------------------------------------------


def hidden_encoder_shapes_checker(answer_encoder_shapes):
    from bahdanau import exercises

    feedback = exercises.check_encoder_shapes(answer_encoder_shapes)
    assert feedback.passed, f"the shapes are not those of the encoder's outputs: {feedback.message}"


def hidden_encoder_shapes_plain_ints(answer_encoder_shapes):
    import torch

    assert isinstance(answer_encoder_shapes, (tuple, list)), "give a tuple of two shapes"
    assert len(answer_encoder_shapes) == 2, "give exactly two shapes: (enc_outputs, hidden_state)"
    for shape in answer_encoder_shapes:
        assert isinstance(shape, (tuple, list, torch.Size)), "each shape should be a tuple of sizes"
        assert all(isinstance(n, int) and not isinstance(n, bool) for n in shape), "each size should be an int"


def hidden_parameter_count_checker(answer_parameter_count):
    from bahdanau import exercises

    feedback = exercises.check_parameter_count(answer_parameter_count)
    assert feedback.passed, f"the count is not the encoder's number of parameters: {feedback.message}"


def hidden_parameter_count_whole_number(answer_parameter_count):
    import torch

    value = answer_parameter_count
    if isinstance(value, torch.Tensor):
        assert value.numel() == 1, "the count should be one number"
        value = value.item()
    assert not isinstance(value, bool), "the count should be a number, not True or False"
    assert isinstance(value, (int, float)), "the count should be a number"
    assert float(value).is_integer() and value > 0, "a count of parameters is a positive whole number"


def hidden_read_alignment_checker(answer_read_alignment):
    from bahdanau import exercises

    feedback = exercises.check_read_alignment(answer_read_alignment)
    assert feedback.passed, f"that token does not hold the row's largest weight: {feedback.message}"


def hidden_read_alignment_one_token(answer_read_alignment):
    from bahdanau.exercises import problems, reading_translation

    problem = problems.READING["alignment"]
    columns = reading_translation(problem["sentence"], problem["model"]).src_tokens
    assert isinstance(answer_read_alignment, str), "the answer should be a string, one English token"
    token = answer_read_alignment.strip().strip("'\"").lower()
    assert token in columns, "the answer should be one of the heatmap's columns, written as it is there"


# ---------------------------------------------------------------------------------------------
# Chapter 2
# ---------------------------------------------------------------------------------------------


def hidden_weight_by_hand_checker(answer_weight_by_hand):
    from bahdanau import exercises

    feedback = exercises.check_attention_weight(answer_weight_by_hand)
    assert feedback.passed, f"the weight alpha_1 is not right: {feedback.message}"


def hidden_weight_by_hand_precision(answer_weight_by_hand):
    import torch

    from bahdanau.attention import masked_softmax
    from bahdanau.exercises import problems

    p = problems.WEIGHT_BY_HAND
    value = float(answer_weight_by_hand)
    assert 0 < value < 1, "a weight of a softmax over two real keys lies strictly between 0 and 1"
    scores = (torch.tanh(p["keys"] @ p["W_k"].T + p["W_q"] @ p["query"]) * p["w_v"]).sum(-1)
    weights = masked_softmax(scores[None, None], torch.tensor([p["valid_len"]]))[0, 0]
    assert abs(value - float(weights[0])) <= 5e-4, "alpha_1 should be right to three decimals"


def hidden_additive_weights_other_seeds(answer_additive_weights):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_additive_weights(answer_additive_weights, seed=seed)
        assert feedback.passed, f"on other random inputs (seed {seed}): {feedback.message}"


def hidden_additive_weights_batch_of_one(answer_additive_weights):
    import torch

    torch.manual_seed(11)
    h, query_size, key_size, K = 3, 2, 5, 4
    queries, keys = torch.randn(1, 1, query_size), torch.randn(1, K, key_size)
    W_q, W_k, w_v = torch.randn(h, query_size), torch.randn(h, key_size), torch.randn(h)
    for length in (K, 1):  # no padding at all, then a single real key
        weights = answer_additive_weights(queries, keys, torch.tensor([length]), W_q, W_k, w_v)
        assert tuple(weights.shape) == (1, 1, K), "one query against K keys should give weights (1, 1, K)"
        scores = torch.tanh(queries[0, 0] @ W_q.T + keys[0] @ W_k.T) @ w_v  # (K,)
        right = torch.zeros(K)
        right[:length] = torch.softmax(scores[:length], dim=0)
        assert torch.allclose(weights[0, 0].detach().float(), right, atol=1e-5), (
            "the weights for a batch of one sentence are wrong (with no padding, or with one real key)")


def hidden_additive_weights_inputs_unchanged(answer_additive_weights):
    import torch

    torch.manual_seed(12)
    inputs = [torch.randn(2, 3, 4), torch.randn(2, 5, 6), torch.tensor([5, 2]), torch.randn(7, 4),
              torch.randn(7, 6), torch.randn(7)]
    copies = [tensor.clone() for tensor in inputs]
    answer_additive_weights(*inputs)
    for given, kept in zip(inputs, copies):
        assert torch.equal(given, kept), "your function changed one of its inputs in place"


def hidden_additive_weights_gradients(answer_additive_weights):
    import torch

    torch.manual_seed(13)
    queries, keys = torch.randn(2, 3, 4), torch.randn(2, 5, 6)
    W_q = torch.randn(7, 4, requires_grad=True)
    W_k = torch.randn(7, 6, requires_grad=True)
    w_v = torch.randn(7, requires_grad=True)
    with torch.enable_grad():  # the chapter's notebook turns gradients off
        weights = answer_additive_weights(queries, keys, torch.tensor([5, 2]), W_q, W_k, w_v)
        (weights * torch.randn(weights.shape)).sum().backward()
    for name, tensor in (("W_q", W_q), ("W_k", W_k), ("w_v", w_v)):
        assert tensor.grad is not None, f"no gradient reaches {name}: is something detached?"
        assert torch.isfinite(tensor.grad).all(), f"the gradient of {name} is not finite"
        assert tensor.grad.abs().sum() > 0, f"the gradient of {name} is zero"


def hidden_dot_product_other_seeds(answer_dot_product):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_dot_product_attention(answer_dot_product, seed=seed)
        assert feedback.passed, f"on other random inputs (seed {seed}): {feedback.message}"


def hidden_dot_product_without_mask(answer_dot_product):
    import math

    import torch

    attention = answer_dot_product() if isinstance(answer_dot_product, type) else answer_dot_product
    attention.eval()
    torch.manual_seed(14)
    queries, keys, values = torch.randn(1, 1, 6), torch.randn(1, 4, 6), torch.randn(1, 4, 3)
    with torch.no_grad():
        returned = attention(queries=queries, keys=keys, values=values, valid_lens=None)
    if isinstance(returned, tuple):
        context, weights = returned
    else:
        context, weights = returned, attention.attention_weights
    assert tuple(context.shape) == (1, 1, 3), "one query should give a context of shape (1, 1, D_v)"
    dots = (queries[0, 0] * keys[0]).sum(-1)  # (K,)
    candidates = [torch.softmax(dots, 0), torch.softmax(dots / math.sqrt(6), 0)]
    row = weights.reshape(-1).float()
    assert any(torch.allclose(row, c, atol=1e-5) for c in candidates), (
        "with valid_lens=None (no padding) every key should be scored by the dot product")
    assert torch.allclose(context.reshape(-1).float(), row @ values[0], atol=1e-5), (
        "with valid_lens=None the context is not the weighted average of the values")


def hidden_dot_product_inputs_unchanged(answer_dot_product):
    import torch

    attention = answer_dot_product() if isinstance(answer_dot_product, type) else answer_dot_product
    torch.manual_seed(15)
    inputs = dict(queries=torch.randn(2, 3, 4), keys=torch.randn(2, 5, 4), values=torch.randn(2, 5, 2),
                  valid_lens=torch.tensor([5, 3]))
    copies = {name: tensor.clone() for name, tensor in inputs.items()}
    with torch.no_grad():
        attention(**inputs)
    for name, tensor in inputs.items():
        assert torch.equal(tensor, copies[name]), f"your module changed {name} in place"


def hidden_dot_product_gradients(answer_dot_product):
    import torch

    attention = answer_dot_product() if isinstance(answer_dot_product, type) else answer_dot_product
    attention.eval()
    torch.manual_seed(16)
    queries = torch.randn(2, 3, 4, requires_grad=True)
    keys = torch.randn(2, 5, 4, requires_grad=True)
    values = torch.randn(2, 5, 2, requires_grad=True)
    with torch.enable_grad():  # the chapter's notebook turns gradients off
        returned = attention(queries=queries, keys=keys, values=values, valid_lens=torch.tensor([5, 3]))
        context = returned[0] if isinstance(returned, tuple) else returned
        (context * torch.randn(context.shape)).sum().backward()
    for name, tensor in (("queries", queries), ("keys", keys), ("values", values)):
        assert tensor.grad is not None, f"no gradient reaches the {name}: is something detached?"
        assert torch.isfinite(tensor.grad).all(), f"the gradient of the {name} is not finite"
        assert tensor.grad.abs().sum() > 0, f"the gradient of the {name} is zero"


def hidden_read_total_checker(answer_read_total):
    from bahdanau import exercises

    feedback = exercises.check_read_total_attention(answer_read_total)
    assert feedback.passed, f"that column does not hold the most weight in total: {feedback.message}"


def hidden_read_total_one_token(answer_read_total):
    from bahdanau.exercises import problems, reading_translation

    problem = problems.READING["total"]
    columns = reading_translation(problem["sentence"], problem["model"]).src_tokens
    assert isinstance(answer_read_total, str), "the answer should be a string, one English token"
    token = answer_read_total.strip().strip("'\"").lower()
    assert token in columns, "the answer should be one of the heatmap's columns, written as it is there"


# ---------------------------------------------------------------------------------------------
# Chapter 3
# ---------------------------------------------------------------------------------------------


def hidden_decoder_shapes_checker(answer_decoder_shapes):
    from bahdanau import exercises

    feedback = exercises.check_decoder_shapes(answer_decoder_shapes)
    assert feedback.passed, f"the shapes are not those of the decoder's outputs: {feedback.message}"


def hidden_decoder_shapes_plain_ints(answer_decoder_shapes):
    import torch

    assert isinstance(answer_decoder_shapes, (tuple, list)), "give a tuple of three shapes"
    assert len(answer_decoder_shapes) == 3, "give exactly three shapes: (logits, attention_weights, hidden_state)"
    for shape in answer_decoder_shapes:
        assert isinstance(shape, (tuple, list, torch.Size)), "each shape should be a tuple of sizes"
        assert all(isinstance(n, int) and not isinstance(n, bool) for n in shape), "each size should be an int"


def hidden_padding_bug_other_seeds(answer_padding_bug):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_fixed_decoder(answer_padding_bug, seed=seed)
        assert feedback.passed, f"on other random inputs (seed {seed}): {feedback.message}"


def hidden_padding_bug_each_sentence_alone(answer_padding_bug):
    import torch

    from bahdanau.models import EncoderDecoder, Seq2SeqEncoder

    torch.manual_seed(17)
    for num_layers in (1, 2):
        model = EncoderDecoder(Seq2SeqEncoder(15, 6, 10, num_layers),
                               answer_padding_bug(9, 6, 10, num_layers)).eval()
        src, tgt = torch.randint(3, 15, (3, 7)), torch.randint(3, 9, (3, 4))
        lengths = torch.tensor([7, 4, 1])
        with torch.no_grad():
            batch = model(src, tgt, lengths)
            for b, length in enumerate(lengths.tolist()):
                alone = model(src[b : b + 1, :length], tgt[b : b + 1], lengths[b : b + 1])
                assert torch.allclose(alone[0], batch[b], atol=1e-5), (
                    f"with {num_layers} layer(s), a sentence gets other logits alone than in a padded batch")


def hidden_padding_bug_beam_search(answer_padding_bug):
    import torch

    from bahdanau.decoding import beam_search
    from bahdanau.models import EncoderDecoder, Seq2SeqEncoder

    torch.manual_seed(18)
    model = EncoderDecoder(Seq2SeqEncoder(15, 6, 10, 1), answer_padding_bug(9, 6, 10, 1)).eval()
    src, lengths = torch.randint(3, 15, (2, 6)), torch.tensor([6, 3])
    try:
        with torch.no_grad():
            batch = beam_search(model, src, lengths, bos_index=1, eos_index=2, max_len=5, beam_size=3)
            alone = beam_search(model, src[1:, :3], lengths[1:], bos_index=1, eos_index=2, max_len=5, beam_size=3)
    except Exception as error:  # e.g. a state whose select() cannot keep its rows
        raise AssertionError(f"beam search fails with your decoder: {type(error).__name__}: {error}") from None
    assert len(batch) == 2, "beam search should give one hypothesis per sentence"
    same = batch[1].token_ids == alone[0].token_ids and abs(batch[1].score - alone[0].score) < 1e-4
    assert same, "beam search finds another translation (or score) for a padded sentence than for it alone"


def hidden_lstm_decoder_other_seed(answer_lstm_decoder):
    from bahdanau import exercises

    feedback = exercises.check_lstm_decoder(answer_lstm_decoder, seed=1)
    assert feedback.passed, f"on other random inputs (seed 1): {feedback.message}"


def hidden_lstm_decoder_each_sentence_alone(answer_lstm_decoder):
    import torch

    from bahdanau.models import EncoderDecoder, Seq2SeqEncoder

    torch.manual_seed(19)
    for num_layers in (1, 3):
        model = EncoderDecoder(Seq2SeqEncoder(15, 6, 10, num_layers),
                               answer_lstm_decoder(9, 6, 10, num_layers)).eval()
        src, tgt = torch.randint(3, 15, (3, 7)), torch.randint(3, 9, (3, 4))
        lengths = torch.tensor([7, 4, 1])
        with torch.no_grad():
            batch = model(src, tgt, lengths)
            assert tuple(batch.shape) == (3, 4, 9), f"with {num_layers} layer(s) the logits should be (B, T, V)"
            for b, length in enumerate(lengths.tolist()):
                alone = model(src[b : b + 1, :length], tgt[b : b + 1], lengths[b : b + 1])
                assert torch.allclose(alone[0], batch[b], atol=1e-5), (
                    f"with {num_layers} layer(s), a sentence gets other logits alone than in a padded batch")


def hidden_lstm_decoder_state_select(answer_lstm_decoder):
    import torch

    from bahdanau.models import Seq2SeqEncoder

    torch.manual_seed(20)
    encoder, decoder = Seq2SeqEncoder(15, 6, 10, 2).eval(), answer_lstm_decoder(9, 6, 10, 2).eval()
    src, lengths = torch.randint(3, 15, (3, 5)), torch.tensor([5, 2, 4])
    step = torch.randint(3, 9, (3, 1))
    order = torch.tensor([2, 0])
    with torch.no_grad():
        state = decoder.init_state(encoder(src, lengths), lengths)
        assert hasattr(state, "select"), "the state needs select(index), which beam search uses"
        logits, _ = decoder(step, state)
        selected, _ = decoder(step[order], state.select(order))
    assert torch.allclose(selected, logits[order], atol=1e-5), (
        "state.select(index) should keep and reorder batch rows: decoding from it gives other logits")


def hidden_lstm_decoder_gradients(answer_lstm_decoder):
    import torch
    from torch import nn

    from bahdanau.models import EncoderDecoder, Seq2SeqEncoder

    torch.manual_seed(21)
    decoder = answer_lstm_decoder(9, 6, 10, 2)
    model = EncoderDecoder(Seq2SeqEncoder(15, 6, 10, 2), decoder)
    src, tgt = torch.randint(3, 15, (2, 5)), torch.randint(3, 9, (2, 4))
    with torch.enable_grad():  # whatever the notebook set
        logits = model(src, tgt, torch.tensor([5, 3]))
        nn.functional.cross_entropy(logits.flatten(0, 1), tgt.flatten()).backward()
    lstms = [module for module in decoder.modules() if isinstance(module, nn.LSTM)]
    assert lstms, "the decoder has no nn.LSTM inside"
    for lstm in lstms:
        for name, parameter in lstm.named_parameters():
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0, (
                f"no gradient reaches the LSTM's {name}")
    encoder_grads = [p.grad for p in model.encoder.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in encoder_grads), (
        "no gradient reaches the encoder: the decoder should attend to the annotations and start from its state")


def hidden_read_certainty_checker(answer_read_certainty):
    from bahdanau import exercises

    feedback = exercises.check_read_certainty(answer_read_certainty)
    assert feedback.passed, f"that row does not hold the heatmap's largest weight: {feedback.message}"


def hidden_read_certainty_plain_int(answer_read_certainty):
    assert isinstance(answer_read_certainty, int) and not isinstance(answer_read_certainty, bool), (
        "the answer should be an int, a decoder step counted from 1")


# ---------------------------------------------------------------------------------------------
# Chapter 4
# ---------------------------------------------------------------------------------------------


def hidden_predict_batch_checker(answer_predict_batch):
    from bahdanau import exercises

    feedback = exercises.check_batch_targets(answer_predict_batch)
    assert feedback.passed, f"the rows are not those of the batch: {feedback.message}"


def hidden_predict_batch_two_rows_of_tokens(answer_predict_batch):
    assert isinstance(answer_predict_batch, (tuple, list)), "give a tuple of two rows: (tgt_in, tgt_out)"
    assert len(answer_predict_batch) == 2, "give exactly two rows: (tgt_in, tgt_out)"
    rows = [row.split() if isinstance(row, str) else row for row in answer_predict_batch]
    for row in rows:
        assert isinstance(row, (tuple, list)), "each row should be a list of tokens"
        assert all(isinstance(token, str) for token in row), "each token should be a string"
    assert len(rows[0]) == len(rows[1]), "tgt_in and tgt_out are rows of one batch: they have the same length"


def hidden_predict_batch_shifted(answer_predict_batch):
    from bahdanau.data import BOS, EOS, PAD
    from bahdanau.exercises import problems

    tgt_in, tgt_out = ([token.strip() for token in (row.split() if isinstance(row, str) else row)]
                       for row in answer_predict_batch)
    french = problems.BATCH_TARGETS["pair"][1]
    n = len(french) + 1  # the real positions: the French words and one special token
    assert tgt_in[0] == BOS, "tgt_in should start with <bos>"
    assert tgt_out[n - 1] == EOS, "tgt_out should end the French with <eos>"
    assert tgt_in[1:n] == tgt_out[: n - 1] == list(french), "tgt_out should be tgt_in shifted one step to the left"
    assert all(token == PAD for token in tgt_in[n:] + tgt_out[n:]), "only <pad> should follow the real tokens"


def hidden_masked_loss_other_seeds(answer_masked_loss):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_masked_loss(answer_masked_loss, seed=seed)
        assert feedback.passed, f"on other random inputs (seed {seed}): {feedback.message}"


def hidden_masked_loss_other_sizes(answer_masked_loss):
    import torch

    torch.manual_seed(26)
    # (B, T, V, pad, padded): a large batch, a batch of one, a batch without padding
    for B, T, V, pad, padded in ((32, 15, 100, 7, True), (1, 4, 6, 5, True), (3, 6, 9, 2, False)):
        targets = torch.randint(0, V - 1, (B, T))
        targets += (targets >= pad).long()  # any class but pad
        lengths = torch.randint(1, T + 1, (B,)) if padded else torch.full((B,), T)
        targets[torch.arange(T) >= lengths[:, None]] = pad
        logits = torch.randn(B, T, V)
        real = targets != pad
        right = torch.nn.functional.cross_entropy(logits[real], targets[real])  # mean over real positions
        given = answer_masked_loss(logits.clone(), targets.clone(), pad)
        assert isinstance(given, torch.Tensor) and given.numel() == 1, "the loss should be one number, a tensor"
        assert torch.allclose(given.detach().float().reshape(()), right, atol=1e-4), (
            f"the loss is wrong for logits of shape (B, T, V) = {(B, T, V)} with pad = {pad}")


def hidden_masked_loss_gradients(answer_masked_loss):
    import torch

    torch.manual_seed(27)
    B, T, V, pad = 4, 6, 10, 3
    targets = torch.randint(0, V - 1, (B, T))
    targets += (targets >= pad).long()
    targets[torch.arange(T) >= torch.tensor([6, 2, 4, 1])[:, None]] = pad
    logits = torch.randn(B, T, V, requires_grad=True)
    with torch.enable_grad():  # whatever the notebook set
        answer_masked_loss(logits, targets, pad).reshape(()).backward()
    assert logits.grad is not None, "no gradient reaches the logits: is something detached?"
    real = targets != pad
    # d loss / d logits = (softmax - one-hot) / N at the real positions, 0 at the padded ones
    right = torch.softmax(logits.detach(), -1) - torch.nn.functional.one_hot(targets, V).float()
    right = right * real[..., None] / real.sum()
    assert torch.allclose(logits.grad[~real], torch.zeros(1)), "the gradient at padded positions should be 0"
    assert torch.allclose(logits.grad, right, atol=1e-5), "the gradient at the real positions is wrong"


def hidden_masked_loss_inputs_unchanged(answer_masked_loss):
    import torch

    torch.manual_seed(28)
    logits, targets = torch.randn(3, 5, 8), torch.randint(1, 8, (3, 5))
    targets[1, 3:] = 0
    kept_logits, kept_targets = logits.clone(), targets.clone()
    answer_masked_loss(logits, targets, 0)
    assert torch.equal(logits, kept_logits), "your function changed the logits in place"
    assert torch.equal(targets, kept_targets), "your function changed the targets in place"


def hidden_attention_entropy_other_seeds(answer_attention_entropy):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_attention_entropy(answer_attention_entropy, seed=seed)
        assert feedback.passed, f"on other random inputs (seed {seed}): {feedback.message}"


def hidden_attention_entropy_any_leading_shape(answer_attention_entropy):
    import torch

    torch.manual_seed(22)
    for shape in ((6,), (4, 6), (2, 3, 4, 6)):
        weights = torch.softmax(torch.randn(shape), dim=-1)
        given = torch.as_tensor(answer_attention_entropy(weights.clone()))
        right = -(weights * weights.log()).sum(dim=-1)  # no zero weights here
        assert tuple(given.shape) == shape[:-1], f"weights of shape {shape} need entropies of shape {shape[:-1]}"
        assert torch.allclose(given.float(), right, atol=1e-5), (
            f"the entropies are wrong for weights of shape {shape} (the sum runs over the last axis)")


def hidden_attention_entropy_uniform_rows(answer_attention_entropy):
    import math

    import torch

    S = 7
    rows = torch.zeros(S, S)
    for n in range(1, S + 1):
        rows[n - 1, :n] = 1 / n  # n equal weights, the rest masked
    given = torch.as_tensor(answer_attention_entropy(rows.clone())).float()
    assert torch.isfinite(given).all(), "masked positions (weight 0) must contribute 0, not nan"
    right = torch.tensor([math.log(n) for n in range(1, S + 1)])
    assert torch.allclose(given, right, atol=1e-5), "n equal weights should have entropy ln n"


def hidden_attention_entropy_input_unchanged(answer_attention_entropy):
    import torch

    torch.manual_seed(23)
    weights = torch.softmax(torch.randn(2, 3, 5), dim=-1)
    weights[0, 0] = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0])
    kept = weights.clone()
    answer_attention_entropy(weights)
    assert torch.equal(weights, kept), "your function changed the weights in place"


# ---------------------------------------------------------------------------------------------
# Chapter 5
# ---------------------------------------------------------------------------------------------


def hidden_bleu_by_hand_checker(answer_bleu_by_hand):
    from bahdanau import exercises

    feedback = exercises.check_bleu_by_hand(answer_bleu_by_hand)
    assert feedback.passed, f"the BLEU score is not right: {feedback.message}"


def hidden_bleu_by_hand_precision(answer_bleu_by_hand):
    from bahdanau.exercises import problems
    from bahdanau.metrics import bleu

    value = float(answer_bleu_by_hand)
    assert 0 <= value <= 1, "d2l's sentence BLEU lies between 0 and 1"
    assert abs(value - bleu(**problems.BLEU_BY_HAND)) <= 5e-4, "the BLEU score should be right to three decimals"


def hidden_length_normalisation_other_seeds(answer_length_normalisation, answer_length_normalisation_winners):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_length_normalised_score(answer_length_normalisation, seed=seed)
        assert feedback.passed, f"the score function, on other inputs (seed {seed}): {feedback.message}"


def hidden_length_normalisation_winners(answer_length_normalisation, answer_length_normalisation_winners):
    from bahdanau import exercises

    feedback = exercises.check_beam_winner(answer_length_normalisation_winners)
    assert feedback.passed, f"the winners: {feedback.message}"


def hidden_length_normalisation_consistent(answer_length_normalisation, answer_length_normalisation_winners):
    from bahdanau.exercises import problems

    hypotheses = problems.BEAM_HYPOTHESES
    for alpha, given in zip(problems.BEAM_ALPHAS, answer_length_normalisation_winners):
        scores = {name: float(answer_length_normalisation(*hypotheses[name], alpha)) for name in hypotheses}
        assert str(given).strip().strip("'\"").upper() == max(scores, key=scores.get), (
            f"at alpha = {alpha} your winner is not the hypothesis your own score function ranks first")


def hidden_length_normalisation_plain_number(answer_length_normalisation, answer_length_normalisation_winners):
    import math

    import torch

    for log_p, length, alpha in ((-3.0, 4, 0.5), (-0.5, 1, 2.0), (-7.25, 9, 0.0)):
        value = answer_length_normalisation(log_p, length, alpha)
        if isinstance(value, torch.Tensor):
            assert value.numel() == 1, "the score should be one number"
            value = value.item()
        assert isinstance(value, (int, float)) and not isinstance(value, bool), "the score should be a number"
        assert math.isfinite(value) and value <= 0, "a score of log-probabilities should be finite and <= 0"


def hidden_read_failure_checker(answer_read_failure):
    from bahdanau import exercises

    feedback = exercises.check_read_failure(answer_read_failure)
    assert feedback.passed, f"that column does not hold the most weight in total: {feedback.message}"


def hidden_read_failure_one_token(answer_read_failure):
    from bahdanau.exercises import problems, reading_translation

    problem = problems.READING["failure"]
    columns = reading_translation(problem["sentence"], problem["model"]).src_tokens
    assert isinstance(answer_read_failure, str), "the answer should be a string, one English token"
    token = answer_read_failure.strip().strip("'\"").lower()
    assert token in columns, "the answer should be one of the heatmap's columns, written as it is there"


# Steering (ex-steer-a-word). No step is stored: each test steers the step the function returns,
# and those before it, itself (translate's override), and asks of None that no step writes the
# French word. The <eos> row is the heatmap's last row, and a step too.


def hidden_steer_a_word_checker(answer_steer_a_word):
    from bahdanau import exercises

    feedback = exercises.check_steered_word(answer_steer_a_word)
    assert feedback.passed, f"the checker's questions are not answered right: {feedback.message}"


def hidden_steer_a_word_other_sentences(answer_steer_a_word):
    from bahdanau.decoding import focus_row
    from bahdanau.exercises import problems, shipped_translator

    translator = shipped_translator(problems.STEERING["model"])
    for sentence, word, french in (("my brother has a new car .", "new", "nouvelle"),
                                   ("i saw a white cat .", "white", "blanche"),
                                   ("can you do it or not ?", "or", "pas")):
        step = answer_steer_a_word(translator, sentence, word, french)
        plain = translator.translate(sentence)
        focus = focus_row(len(plain.src_tokens), plain.src_tokens.index(word))
        writes = [french in translator.translate(sentence, override={i: focus}).tokens
                  for i in range(len(plain.attention))]  # one per step, the <eos> row last
        asked = f"{sentence!r} steered onto {word!r}"
        assert step is not None, f"{asked}: a step does write {french!r}, yet you returned None"
        assert not isinstance(step, bool) and hasattr(step, "__index__"), "the step should be an int (or None)"
        assert 0 <= step.__index__() < len(writes), f"{asked}: your step is not a row of the heatmap"
        assert writes[step.__index__()], f"{asked}: the step you returned does not write {french!r}"
        assert not any(writes[: step.__index__()]), f"{asked}: an earlier step also writes {french!r}"


def hidden_steer_a_word_no_step(answer_steer_a_word):
    from bahdanau.decoding import focus_row
    from bahdanau.exercises import problems, shipped_translator

    translator = shipped_translator(problems.STEERING["model"])
    for sentence, word, french in (("the little girl is happy .", "happy", "heureux"),
                                   ("she likes red wine .", "red", "rouges")):
        step = answer_steer_a_word(translator, sentence, word, french)
        plain = translator.translate(sentence)
        focus = focus_row(len(plain.src_tokens), plain.src_tokens.index(word))
        writes = [french in translator.translate(sentence, override={i: focus}).tokens
                  for i in range(len(plain.attention))]  # one per step, the <eos> row last
        asked = f"{sentence!r} steered onto {word!r}"
        if step is None:
            assert not any(writes), f"{asked}: you returned None, yet a step writes {french!r}"
            continue
        assert not isinstance(step, bool) and hasattr(step, "__index__"), "the step should be an int (or None)"
        assert 0 <= step.__index__() < len(writes), f"{asked}: your step is not a row of the heatmap"
        assert writes[step.__index__()], f"{asked}: the step you returned does not write {french!r}"


def hidden_steer_a_word_twice(answer_steer_a_word):
    from bahdanau.decoding import focus_row
    from bahdanau.exercises import problems, shipped_translator

    translator = shipped_translator(problems.STEERING["model"])
    # The English word occurs twice: the question is about its first occurrence.
    for sentence, word, french in (("he bought a new car and a new bike .", "new", "neuve"),
                                   ("i like green tea and green apples .", "green", "verte")):
        step = answer_steer_a_word(translator, sentence, word, french)
        plain = translator.translate(sentence)
        focus = focus_row(len(plain.src_tokens), plain.src_tokens.index(word))  # the first one
        writes = [french in translator.translate(sentence, override={i: focus}).tokens
                  for i in range(len(plain.attention))]  # one per step, the <eos> row last
        asked = f"{sentence!r} steered onto its first {word!r}"
        if step is None:
            assert not any(writes), f"{asked}: you returned None, yet a step writes {french!r}"
            continue
        assert not isinstance(step, bool) and hasattr(step, "__index__"), "the step should be an int (or None)"
        assert 0 <= step.__index__() < len(writes), f"{asked}: your step is not a row of the heatmap"
        assert writes[step.__index__()], f"{asked}: the step you returned does not write {french!r}"
        assert not any(writes[: step.__index__()]), f"{asked}: an earlier step also writes {french!r}"


def hidden_steer_a_word_eos_row(answer_steer_a_word):
    from bahdanau.decoding import focus_row
    from bahdanau.exercises import problems, shipped_translator

    translator = shipped_translator(problems.STEERING["model"])
    sentence, word, french = "she held up her head .", "she", "se"
    step = answer_steer_a_word(translator, sentence, word, french)
    plain = translator.translate(sentence)
    focus = focus_row(len(plain.src_tokens), plain.src_tokens.index(word))
    writes = [french in translator.translate(sentence, override={i: focus}).tokens
              for i in range(len(plain.attention))]  # one per step, the <eos> row last
    asked = f"{sentence!r} steered onto {word!r}"
    assert step is not None or not any(writes), (
        f"{asked}: you returned None, yet a step writes {french!r} (the <eos> row is a step too)")
    if step is not None:
        assert not isinstance(step, bool) and hasattr(step, "__index__"), "the step should be an int (or None)"
        assert 0 <= step.__index__() < len(writes), f"{asked}: your step is not a row of the heatmap"
        assert writes[step.__index__()], f"{asked}: the step you returned does not write {french!r}"
        assert not any(writes[: step.__index__()]), f"{asked}: an earlier step also writes {french!r}"


def hidden_steer_a_word_word_not_in_the_sentence(answer_steer_a_word):
    from bahdanau.exercises import problems, shipped_translator

    translator = shipped_translator(problems.STEERING["model"])
    # "do" is in "dog", but not among the sentence's tokens.
    for sentence, word, french in (("i saw a white cat .", "black", "noir"), ("i have a big dog .", "do", "faire")):
        try:
            answer_steer_a_word(translator, sentence, word, french)
        except ValueError:
            continue
        except Exception as error:
            raise AssertionError(f"{word!r} is not a word of {sentence!r}: your function should raise "
                                 f"ValueError, not {type(error).__name__}") from None
        raise AssertionError(f"{word!r} is not a word of {sentence!r}: your function should raise ValueError")


# ---------------------------------------------------------------------------------------------
# Chapter 6
# ---------------------------------------------------------------------------------------------


def hidden_bidirectional_other_seeds(answer_bidirectional):
    from bahdanau import exercises

    for seed in (1, 2, 3):
        feedback = exercises.check_bidirectional_encoder(answer_bidirectional, seed=seed)
        assert feedback.passed, f"on other random inputs (seed {seed}): {feedback.message}"


def hidden_bidirectional_each_sentence_alone(answer_bidirectional):
    import torch

    torch.manual_seed(24)
    encoder = answer_bidirectional(13, 5, 4).eval()  # (vocab_size, embed_size, num_hiddens)
    X, lengths = torch.randint(1, 13, (3, 8)), torch.tensor([8, 5, 1])
    kept_X, kept_lengths = X.clone(), lengths.clone()
    with torch.no_grad():
        outputs, state = encoder(X, lengths)
        assert torch.equal(X, kept_X) and torch.equal(lengths, kept_lengths), "the encoder changed its inputs"
        for b, length in enumerate(lengths.tolist()):
            alone_outputs, alone_state = encoder(X[b : b + 1, :length], lengths[b : b + 1])
            assert torch.allclose(alone_outputs[0], outputs[b, :length], atol=1e-5), (
                "a sentence gets other annotations alone than in a padded batch")
            assert torch.allclose(alone_state[:, 0], state[:, b], atol=1e-5), (
                "a sentence gets another state s_0 alone than in a padded batch")


def hidden_bidirectional_gradients(answer_bidirectional):
    import torch

    torch.manual_seed(25)
    encoder = answer_bidirectional(13, 5, 4)  # (vocab_size, embed_size, num_hiddens)
    X, lengths = torch.randint(1, 13, (3, 6)), torch.tensor([6, 4, 2])
    with torch.enable_grad():  # whatever the notebook set
        outputs, state = encoder(X, lengths)
        assert outputs.shape[-1] == 2 * state.shape[-1], "the annotations should have 2H features"
        (outputs * torch.randn(outputs.shape)).sum().backward(retain_graph=True)
        state.sum().backward()
    for name, parameter in encoder.named_parameters():
        if parameter.requires_grad:
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0, (
                f"no gradient reaches {name}: is every part of the encoder used?")


def hidden_aer_by_hand_checker(answer_aer_by_hand):
    from bahdanau import exercises

    feedback = exercises.check_aer_by_hand(answer_aer_by_hand)
    assert feedback.passed, f"the alignment error rate is not right: {feedback.message}"


def hidden_aer_by_hand_precision(answer_aer_by_hand):
    import torch

    from bahdanau.exercises import problems

    value = answer_aer_by_hand
    if isinstance(value, torch.Tensor):
        assert value.numel() == 1, "the AER should be one number"
        value = value.item()
    assert isinstance(value, (int, float)) and not isinstance(value, bool), "the AER should be a number"
    assert 0 <= value <= 1, "an alignment error rate lies between 0 and 1"
    p = problems.AER_BY_HAND
    A, S, P = set(p["predicted"]), set(p["sure"]), set(p["possible"])
    assert abs(value - (1 - (len(A & S) + len(A & P)) / (len(A) + len(S)))) <= 5e-4, (
        "the AER should be right to three decimals")


def hidden_read_one_word_late_checker(answer_read_one_word_late):
    from bahdanau import exercises

    feedback = exercises.check_read_one_word_late(answer_read_one_word_late)
    assert feedback.passed, f"that token does not hold the row's largest weight: {feedback.message}"


def hidden_read_one_word_late_one_token(answer_read_one_word_late):
    from bahdanau.exercises import problems, reading_translation

    problem = problems.READING["late"]
    columns = reading_translation(problem["sentence"], problem["model"]).src_tokens
    assert isinstance(answer_read_one_word_late, str), "the answer should be a string, one English token"
    token = answer_read_one_word_late.strip().strip("'\"").lower()
    assert token in columns, "the answer should be one of the heatmap's columns, written as it is there"
