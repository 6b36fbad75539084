"""Benchmark: our attention model against the same architecture built from d2l parts.

Run ``python -m bahdanau.cli.bench``. Everything is measured in one run, on the same
sizes (B=128, S=T=10, E=H=256, 2 GRU layers, V=2000), alternating the two
implementations so that machine noise hits both alike (:func:`time_pair`), and
reported as ratios. One function per figure:

1. :func:`attention_loop`: attention over a 10-step decoder loop, ours (keys
   projected once per source batch) against ``d2l.AdditiveAttention`` called the
   d2l way (keys re-projected at every step);
2. :func:`training_step`: one full training step (forward, backward, Adam) of our
   model against ``d2l.Seq2SeqEncoder`` + ``d2l.AdditiveAttention`` + the d2l
   chapter's decoder loop (time-first, with its ``permute``\\ s). The source
   lengths are drawn uniformly from 1..S, as in a batch of unsorted sentences:
   our encoder runs on a packed sequence and skips the padding, d2l's runs over
   it. The step is also timed with every source of full length S, where the
   cached keys and the decoder's precomputed input gates are what is left;
3. :func:`matmul_gflops`: how fast this machine multiplies two large fp32
   matrices, to read our step's GFLOP/s against (the share of that peak);
4. :func:`greedy_throughput`: greedy translation of 128 sentences, in sentences
   per second (decoding calls the decoder with one target step at a time).

d2l is an optional dependency of the package (it is in requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from ..attention import AdditiveAttention
from ..data import BOS_INDEX, EOS_INDEX, NUM_SPECIALS
from ..models import EncoderDecoder, ModelConfig, make_model
from ..runtime import time_one, time_pair

__all__ = [
    "D2LAttentionSeq2Seq",
    "run",
    "attention_loop",
    "training_step",
    "matmul_gflops",
    "greedy_throughput",
]

TARGETS = {"attention_speedup": 3.0, "train_step_speedup": 1.4, "greedy_sentences_per_s": 3000}


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


class Batch(NamedTuple):
    """One random batch: src (B, S), tgt_in and tgt_out (B, T), src_valid_len (B,) uniform in 1..S."""

    src: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor
    src_valid_len: torch.Tensor


def _import_d2l():
    try:
        import d2l.torch as d2l
    except ImportError as error:  # pragma: no cover - d2l is in requirements.txt
        raise SystemExit(
            "The benchmark compares against d2l: install it with `pip install --no-deps d2l==1.0.3` "
            f"(it needs pandas, scipy, requests, torchvision). Import failed: {error}"
        ) from error
    return d2l


def attention_loop(d2l, enc_outputs: torch.Tensor, valid_lens: torch.Tensor, *, num_steps: int,
                   repeats: int) -> dict:
    """Figure 1: attention over a ``num_steps``-step loop, ours (keys cached) against d2l's layer.

    enc_outputs (B, S, H) serve as keys and values, valid_lens (B,); the queries are random.
    """
    B, _, H = enc_outputs.shape
    ours = AdditiveAttention(H, H, H).eval()
    theirs = d2l.AdditiveAttention(H, 0.0).eval()
    queries = torch.randn(num_steps, B, 1, H)  # one (B, 1, H) query per step
    with torch.no_grad():
        theirs(queries[0], enc_outputs, enc_outputs, valid_lens)  # materialise the lazy layers
        theirs.load_state_dict(ours.state_dict())

        def ours_loop():
            enc_keys = ours.project_keys(enc_outputs)  # once per source batch
            for query in queries:
                ours(queries=query, keys=enc_outputs, values=enc_outputs, valid_lens=valid_lens,
                     projected_keys=enc_keys)

        def theirs_loop():
            for query in queries:
                theirs(query, enc_outputs, enc_outputs, valid_lens)

        context, _ = ours(queries=queries[0], keys=enc_outputs, values=enc_outputs, valid_lens=valid_lens)
        assert torch.allclose(context, theirs(queries[0], enc_outputs, enc_outputs, valid_lens), atol=1e-6)
        ours_s, theirs_s = time_pair(ours_loop, theirs_loop, repeats=repeats)
    return {"attention_ours_ms": ours_s * 1e3, "attention_d2l_ms": theirs_s * 1e3,
            "attention_speedup": theirs_s / ours_s}


def _training_step_flops(config: ModelConfig, B: int, S: int, T: int, src_tokens: int) -> float:
    """Multiply-add work of one training step of our model, counted as 2 FLOPs each; x3 for backward.

    ``src_tokens`` is the number of real (unpadded) source tokens in the batch: the
    encoder's work, as it skips the padding.
    """
    E, H, V_tgt, L = config.embed_size, config.num_hiddens, config.tgt_vocab_size, config.num_layers
    gru = lambda inp: 3 * (inp * H + H * H)  # noqa: E731 - reset, update, candidate: input and recurrent matmuls
    encoder = src_tokens * (gru(E) + (L - 1) * gru(H))
    attention_keys = B * S * H * H  # once per batch: the cached W_k h_j
    per_step = H * H + S * H + S * H + S * H  # W_q s, v^T tanh(.), bmm with the values
    decoder = B * T * (per_step + gru(E + H) + (L - 1) * gru(H))
    output = B * T * H * V_tgt
    return 2 * (encoder + attention_keys + decoder + output) * 3


def _make_step(model: nn.Module, batch: Batch, valid_lens: torch.Tensor):
    """A closure running one training step (forward, cross-entropy, backward, Adam) of ``model``."""
    vocab_size = model.decoder.dense.out_features
    model(batch.src, batch.tgt_in, valid_lens)  # materialise d2l's lazy layers before building the optimizer
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(batch.src, batch.tgt_in, valid_lens)  # (B, T, V)
        loss_fn(logits.reshape(-1, vocab_size), batch.tgt_out.reshape(-1)).backward()
        optimizer.step()

    return step


def training_step(our_model: EncoderDecoder, d2l_model: nn.Module, config: ModelConfig, batch: Batch, *,
                  repeats: int) -> dict:
    """Figure 2: one training step, ours against d2l's parts, with uneven source lengths and without.

    Also returns the share of source positions that are padding, and the GFLOP/s our
    step achieves (multiply-adds counted by :func:`_training_step_flops`).
    """
    B, S = batch.src.shape
    T = batch.tgt_in.shape[1]
    ours_s, theirs_s = time_pair(_make_step(our_model, batch, batch.src_valid_len),
                                 _make_step(d2l_model, batch, batch.src_valid_len), repeats=repeats)
    src_tokens = int(batch.src_valid_len.sum())
    # The same step with no padding at all: the encoder's skipping no longer helps.
    full_lens = torch.full((B,), S)
    full_ours_s, full_theirs_s = time_pair(_make_step(our_model, batch, full_lens),
                                           _make_step(d2l_model, batch, full_lens), repeats=repeats)
    return {
        "train_step_ours_ms": ours_s * 1e3,
        "train_step_d2l_ms": theirs_s * 1e3,
        "train_step_speedup": theirs_s / ours_s,
        "train_step_full_length_speedup": full_theirs_s / full_ours_s,
        "train_step_gflops": _training_step_flops(config, B, S, T, src_tokens) / ours_s / 1e9,
        "src_padding": 1 - src_tokens / (B * S),
    }


class _StepLoop(nn.Module):
    """The model with teacher forcing run as T calls of ``decoder.step``: the readable loop."""

    def __init__(self, model: EncoderDecoder):
        super().__init__()
        self.model = model
        self.decoder = model.decoder

    def forward(self, src, tgt_in, src_valid_len):
        state = self.decoder.init_state(self.model.encoder(src, src_valid_len), src_valid_len)
        logits = []
        for y_prev in tgt_in.unbind(dim=1):  # T steps of (B,)
            step = self.decoder.step(y_prev, state)
            logits.append(step.logits)
            state = step.state
        return torch.stack(logits, dim=1)  # (B, T, V)


def teacher_forcing(our_model: EncoderDecoder, batch: Batch, *, repeats: int) -> dict:
    """Figure 5: the training step with ``forward``'s helper against the plain loop of steps.

    ``Seq2SeqAttentionDecoder.forward`` runs :func:`~bahdanau.models.teacher_forced_steps`
    (the embeddings' share of the GRU input in one matmul for all T steps); the readable
    alternative calls ``decoder.step`` T times. Same model, same batch.
    """
    helper_s, loop_s = time_pair(_make_step(our_model, batch, batch.src_valid_len),
                                 _make_step(_StepLoop(our_model), batch, batch.src_valid_len), repeats=repeats)
    return {"teacher_forcing_helper_ms": helper_s * 1e3, "teacher_forcing_loop_ms": loop_s * 1e3,
            "teacher_forcing_speedup": loop_s / helper_s}


def matmul_gflops(size: int = 2048, *, repeats: int = 7) -> float:
    """Figure 3: GFLOP/s of one large fp32 matmul, (size, size) @ (size, size), median of ``repeats``.

    About the most this machine's BLAS gets out of its cores: a yardstick for the
    training step's GFLOP/s, whose matmuls are small (B=128 rows) and sequential.
    """
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size**3 / time_one(lambda: a @ b, repeats=repeats) / 1e9


def greedy_throughput(model: EncoderDecoder, batch: Batch, *, repeats: int) -> dict:
    """Figure 4: greedy translation of the batch's sources, in sentences per second (median call).

    One decoder call per output step, with a (B, 1) input. An untrained model almost
    never emits ``<eos>`` (id 2 here), so the batch runs all T steps.
    """
    from ..decoding import greedy_decode

    model.eval()
    B, T = batch.tgt_in.shape
    seconds = time_one(
        lambda: greedy_decode(model, batch.src, batch.src_valid_len, bos_index=BOS_INDEX, eos_index=EOS_INDEX,
                              max_len=T),
        repeats=repeats,
    )
    model.train()
    return {"greedy_sentences_per_s": B / seconds, "greedy_ms": seconds * 1e3}


def run(*, batch_size: int = 128, num_steps: int = 10, size: int = 256, vocab_size: int = 2000, repeats: int = 20,
        seed: int = 0) -> dict:
    """Measure every figure in one run and return them (``main`` prints them)."""
    d2l = _import_d2l()
    torch.manual_seed(seed)
    B, S, T, H = batch_size, num_steps, num_steps, size
    batch = Batch(
        src=torch.randint(NUM_SPECIALS, vocab_size, (B, S)),
        tgt_in=torch.randint(NUM_SPECIALS, vocab_size, (B, T)),
        tgt_out=torch.randint(NUM_SPECIALS, vocab_size, (B, T)),
        src_valid_len=torch.randint(1, S + 1, (B,)),
    )
    results = {"B": B, "S": S, "T": T, "E": size, "H": H, "V": vocab_size, "threads": torch.get_num_threads()}
    results |= attention_loop(d2l, torch.randn(B, S, H), batch.src_valid_len, num_steps=T, repeats=repeats * 5)
    config = ModelConfig(vocab_size, vocab_size, size, size, num_layers=2, dropout=0.0, attention=True)
    our_model = make_model(config)
    d2l_model = D2LAttentionSeq2Seq(d2l, vocab_size, vocab_size, size, size, 2, 0.0)
    results |= training_step(our_model, d2l_model, config, batch, repeats=repeats)
    results |= teacher_forcing(our_model, batch, repeats=repeats)
    results["matmul_gflops"] = matmul_gflops(repeats=max(3, repeats // 3))
    results["train_step_peak_share"] = results["train_step_gflops"] / results["matmul_gflops"]
    results |= greedy_throughput(our_model, batch, repeats=max(5, repeats // 2))
    return results


def report(r: dict) -> list[str]:
    """The figures of :func:`run`, as lines of at most 78 characters."""
    return [
        f"sizes: B={r['B']} S={r['S']} T={r['T']} E={r['E']} H={r['H']} V={r['V']}, "
        "2 GRU layers",
        f"torch {torch.__version__}, {r['threads']} threads",
        f"1. attention over a {r['T']}-step loop: ours {r['attention_ours_ms']:.2f} ms, "
        f"d2l {r['attention_d2l_ms']:.2f} ms",
        f"   -> {r['attention_speedup']:.2f}x (target >= {TARGETS['attention_speedup']:g}x)",
        f"2. training step: ours {r['train_step_ours_ms']:.1f} ms, "
        f"d2l parts {r['train_step_d2l_ms']:.1f} ms",
        f"   -> {r['train_step_speedup']:.2f}x (target >= {TARGETS['train_step_speedup']:g}x); "
        f"with no padding: {r['train_step_full_length_speedup']:.2f}x",
        f"   (source lengths uniform in 1..{r['S']}: {r['src_padding']:.0%} of the source "
        "positions are padding)",
        f"3. our step: {r['train_step_gflops']:.1f} GFLOP/s, {r['train_step_peak_share']:.0%} "
        f"of a 2048^3 fp32 matmul's {r['matmul_gflops']:.0f} GFLOP/s",
        f"4. greedy translation: {r['greedy_sentences_per_s']:.0f} sentences/s, batch "
        f"{r['B']}, {r['T']} steps (target >= {TARGETS['greedy_sentences_per_s']:g})",
        f"5. training step, teacher_forced_steps {r['teacher_forcing_helper_ms']:.1f} ms, "
        f"T calls of step {r['teacher_forcing_loop_ms']:.1f} ms",
        f"   -> {r['teacher_forcing_speedup']:.2f}x",
    ]


# The stored runs: what README and the chapters quote (``python -m bahdanau.cli.bench --record``).
RECORDED_PATH = Path(str(resources.files("bahdanau") / "pretrained" / "bench.json"))
RECORDED_FIGURES = ("attention_speedup", "train_step_speedup", "train_step_full_length_speedup",
                    "train_step_peak_share", "greedy_sentences_per_s", "teacher_forcing_speedup")


def record(runs: list[dict], path: Path = RECORDED_PATH) -> dict:
    """Store several runs of :func:`run` and the median of each figure as JSON at ``path``.

    The book and README quote these numbers rather than retyping them, and a test checks
    that README's table agrees with the file.
    """
    document = {
        "torch": torch.__version__,
        "threads": runs[0]["threads"],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "date": time.strftime("%Y-%m-%d"),
        "targets": TARGETS,
        "runs": runs,
        "median": {key: statistics.median(run[key] for run in runs) for key in RECORDED_FIGURES},
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return document


def recorded(path: Path = RECORDED_PATH) -> dict:
    """The stored benchmark runs (see :func:`record`)."""
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed repetitions per measurement")
    parser.add_argument("--small", action="store_true", help="tiny sizes, to check that it runs (not a measurement)")
    parser.add_argument("--record", type=int, metavar="RUNS", default=0,
                        help="run RUNS times and store the runs and medians in the package's bench.json")
    args = parser.parse_args(argv)
    sizes = dict(batch_size=4, num_steps=3, size=16, vocab_size=50) if args.small else {}
    runs = []
    for _ in range(max(1, args.record)):
        runs.append(run(repeats=args.repeats, **sizes))
        print("\n".join(report(runs[-1])))
    if args.record:
        document = record(runs)
        medians = ", ".join(f"{key} {value:.2f}" for key, value in document["median"].items())
        print(f"recorded {len(runs)} runs in {RECORDED_PATH.name}; medians: {medians}")


if __name__ == "__main__":
    main()
