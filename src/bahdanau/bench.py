"""Benchmark: our attention decoder against the same architecture built from d2l parts.

Run ``python -m bahdanau.bench``. Everything is measured side by side in one run,
on the same sizes (B=128, S=T=10, E=H=256, 2 layers), alternating the two
implementations so that machine noise hits both alike, and reported as ratios:

1. attention over a 10-step decoder loop: ours (keys projected once per source
   batch) against ``d2l.AdditiveAttention`` called the d2l way (keys re-projected
   at every step);
2. one full training step (forward, backward, Adam) of our attention model against
   ``d2l.Seq2SeqEncoder`` + ``d2l.AdditiveAttention`` + the d2l chapter's decoder
   loop (time-first, with its ``permute``s), plus the GFLOP/s our step achieves.
   The source lengths are drawn uniformly from 1..S, as in a batch of unsorted
   sentences: our encoder runs on packed sequences and skips the padding, d2l's
   runs over it. The step is also timed with every source of full length S, where
   only the cached keys help (the ceiling is then about 1.27x, counting matmuls);
3. greedy translation throughput in sentences per second.

d2l is an optional dependency of the package (it is in requirements.txt).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from .attention import AdditiveAttention
from .models import ModelConfig, make_model

__all__ = ["D2LAttentionSeq2Seq", "run", "time_pair"]


class _D2LSeedDecoder(nn.Module):
    """The d2l chapter's attention decoder (time-first GRU, keys re-projected every step).

    Rebuilt here from d2l's public parts as the reference to measure against; it is
    deliberately not optimised.
    """

    def __init__(self, d2l, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int, dropout: float):
        super().__init__()
        self.attention = d2l.AdditiveAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_all_outputs, enc_valid_lens):
        outputs, hidden_state = enc_all_outputs
        return outputs.permute(1, 0, 2), hidden_state, enc_valid_lens  # (B, S, H) from (S, B, H)

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_lens = state
        embs = self.embedding(X).permute(1, 0, 2)  # (T, B, E)
        outputs = []
        for emb in embs:
            query = hidden_state[-1].unsqueeze(1)  # (B, 1, H)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)  # (B, 1, H)
            step_input = torch.cat((context, emb.unsqueeze(1)), dim=-1)  # (B, 1, H + E)
            out, hidden_state = self.rnn(step_input.permute(1, 0, 2), hidden_state)  # (1, B, H)
            outputs.append(out)
        logits = self.dense(torch.cat(outputs, dim=0))  # (T, B, V)
        return logits.permute(1, 0, 2), (enc_outputs, hidden_state, enc_valid_lens)


class D2LAttentionSeq2Seq(nn.Module):
    """``d2l.Seq2SeqEncoder`` + the d2l chapter's attention decoder, called like our models."""

    def __init__(self, d2l, src_vocab_size, tgt_vocab_size, embed_size, num_hiddens, num_layers, dropout):
        super().__init__()
        self.encoder = d2l.Seq2SeqEncoder(src_vocab_size, embed_size, num_hiddens, num_layers, dropout)
        self.decoder = _D2LSeedDecoder(d2l, tgt_vocab_size, embed_size, num_hiddens, num_layers, dropout)

    def forward(self, enc_X, dec_X, enc_valid_lens):
        state = self.decoder.init_state(self.encoder(enc_X), enc_valid_lens)
        return self.decoder(dec_X, state)[0]


def _import_d2l():
    try:
        import d2l.torch as d2l
    except ImportError as error:  # pragma: no cover - d2l is in requirements.txt
        raise SystemExit(
            "The benchmark compares against d2l: install it with `pip install --no-deps d2l==1.0.3` "
            f"(it needs pandas, scipy, requests, torchvision). Import failed: {error}"
        ) from error
    return d2l


def time_pair(first, second, *, repeats: int, warmup: int = 3) -> tuple[float, float]:
    """Median seconds per call of two callables, measured interleaved."""
    for _ in range(warmup):
        first()
        second()
    first_times, second_times = [], []
    for _ in range(repeats):
        for fn, times in ((first, first_times), (second, second_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(first_times), statistics.median(second_times)


def _training_step_flops(config: ModelConfig, B: int, S: int, T: int, src_tokens: int) -> float:
    """Multiply-add work of one training step of our model, counted as 2 FLOPs each; x3 for backward.

    ``src_tokens`` is the number of real (unpadded) source tokens in the batch: the
    encoder's work, as it skips the padding.
    """
    E, H, V_tgt, L = config.embed_size, config.num_hiddens, config.tgt_vocab_size, config.num_layers
    gru = lambda inp: 3 * (inp * H + H * H)  # noqa: E731 - three gates, input and recurrent matmuls
    encoder = src_tokens * (gru(E) + (L - 1) * gru(H))
    attention_keys = B * S * H * H  # once per batch: the cached W_k h_j
    per_step = H * H + S * H + S * H + S * H  # W_q s, v^T tanh(.), bmm with the values
    decoder = B * T * (per_step + gru(E + H) + (L - 1) * gru(H))
    output = B * T * H * V_tgt
    return 2 * (encoder + attention_keys + decoder + output) * 3


def run(*, batch_size: int = 128, num_steps: int = 10, size: int = 256, vocab_size: int = 2000, repeats: int = 20,
        seed: int = 0) -> dict:
    """Measure the three figures and return them (also printed by ``main``)."""
    d2l = _import_d2l()
    torch.manual_seed(seed)
    B, S, T, H = batch_size, num_steps, num_steps, size
    results = {"B": B, "S": S, "T": T, "E": size, "H": size, "threads": torch.get_num_threads()}

    # 1. Attention over a T-step decoder loop.
    ours = AdditiveAttention(H, H, H).eval()
    theirs = d2l.AdditiveAttention(H, 0.0).eval()
    enc_outputs = torch.randn(B, S, H)
    valid_lens = torch.randint(1, S + 1, (B,))
    queries = torch.randn(T, B, 1, H)
    with torch.no_grad():
        theirs(queries[0], enc_outputs, enc_outputs, valid_lens)  # materialise the lazy layers
        theirs.load_state_dict(ours.state_dict())

        def ours_loop():
            enc_keys = ours.project_keys(enc_outputs)  # once per source batch
            for query in queries:
                ours(query, enc_outputs, enc_outputs, valid_lens, projected_keys=enc_keys)

        def theirs_loop():
            for query in queries:
                theirs(query, enc_outputs, enc_outputs, valid_lens)

        assert torch.allclose(ours(queries[0], enc_outputs, enc_outputs, valid_lens),
                              theirs(queries[0], enc_outputs, enc_outputs, valid_lens), atol=1e-6)
        ours_s, theirs_s = time_pair(ours_loop, theirs_loop, repeats=repeats * 5)
    results["attention_ours_ms"] = ours_s * 1e3
    results["attention_d2l_ms"] = theirs_s * 1e3
    results["attention_speedup"] = theirs_s / ours_s

    # 2. A full training step.
    config = ModelConfig(vocab_size, vocab_size, size, size, num_layers=2, dropout=0.0, attention=True)
    our_model = make_model(config)
    d2l_model = D2LAttentionSeq2Seq(d2l, vocab_size, vocab_size, size, size, 2, 0.0)
    src = torch.randint(4, vocab_size, (B, S))
    tgt_in = torch.randint(4, vocab_size, (B, T))
    tgt_out = torch.randint(4, vocab_size, (B, T))
    loss_fn = nn.CrossEntropyLoss()

    def make_step(model, lens):
        model(src, tgt_in, lens)  # materialise d2l's lazy layers before building the optimizer
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            optimizer.zero_grad(set_to_none=True)
            logits = model(src, tgt_in, lens)  # (B, T, V)
            loss_fn(logits.reshape(-1, vocab_size), tgt_out.reshape(-1)).backward()
            optimizer.step()

        return step

    ours_s, theirs_s = time_pair(make_step(our_model, valid_lens), make_step(d2l_model, valid_lens), repeats=repeats)
    results["train_step_ours_ms"] = ours_s * 1e3
    results["train_step_d2l_ms"] = theirs_s * 1e3
    results["train_step_speedup"] = theirs_s / ours_s
    src_tokens = int(valid_lens.sum())
    results["train_step_gflops"] = _training_step_flops(config, B, S, T, src_tokens) / ours_s / 1e9
    results["src_padding"] = 1 - src_tokens / (B * S)
    # The same step with no padding at all: only the cached keys separate the two.
    full_lens = torch.full((B,), S)
    ours_s, theirs_s = time_pair(make_step(our_model, full_lens), make_step(d2l_model, full_lens), repeats=repeats)
    results["train_step_full_length_speedup"] = theirs_s / ours_s

    # 3. Greedy translation throughput.
    from .decoding import greedy_decode

    our_model.eval()
    greedy = lambda: greedy_decode(our_model, src, valid_lens, bos_index=1, eos_index=2, max_len=T)  # noqa: E731
    greedy()
    start = time.perf_counter()
    rounds = max(3, repeats // 4)
    for _ in range(rounds):
        greedy()
    results["greedy_sentences_per_s"] = rounds * B / (time.perf_counter() - start)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed repetitions per measurement")
    parser.add_argument("--small", action="store_true", help="tiny sizes, to check that it runs (not a measurement)")
    args = parser.parse_args(argv)
    sizes = dict(batch_size=4, num_steps=3, size=16, vocab_size=50) if args.small else {}
    r = run(repeats=args.repeats, **sizes)
    print(f"sizes: B={r['B']} S={r['S']} T={r['T']} E={r['E']} H={r['H']}, 2 GRU layers, "
          f"torch {torch.__version__}, {r['threads']} threads")
    print(f"attention over a {r['T']}-step loop: ours {r['attention_ours_ms']:.2f} ms, "
          f"d2l {r['attention_d2l_ms']:.2f} ms -> {r['attention_speedup']:.2f}x (target >= 3x)")
    print(f"training step: ours {r['train_step_ours_ms']:.1f} ms, d2l parts {r['train_step_d2l_ms']:.1f} ms "
          f"-> {r['train_step_speedup']:.2f}x (target >= 1.2x); ours achieves {r['train_step_gflops']:.1f} GFLOP/s\n"
          f"  (source lengths uniform in 1..{r['S']}: {r['src_padding']:.0%} of source positions are padding, "
          f"which our encoder skips; with no padding at all: {r['train_step_full_length_speedup']:.2f}x)")
    print(f"greedy translation: {r['greedy_sentences_per_s']:.0f} sentences/s (batch {r['B']}, {r['T']} steps)")


if __name__ == "__main__":
    main()
