"""The benchmark runs and measures what it says (small sizes: no timing is asserted here)."""

import torch

from bahdanau.cli.bench import D2LAttentionSeq2Seq, main, report, run
from bahdanau.runtime import time_pair


def test_bench_runs_and_reports_every_figure(capsys):
    results = run(batch_size=4, num_steps=3, size=16, vocab_size=50, repeats=2)
    for key in ("attention_speedup", "train_step_speedup", "train_step_full_length_speedup",
                "train_step_gflops", "matmul_gflops", "greedy_sentences_per_s", "teacher_forcing_speedup"):
        assert results[key] > 0, key
    assert 0 < results["train_step_peak_share"] < 1  # a share of the large matmul's GFLOP/s
    assert 0 < results["src_padding"] < 1  # uneven source lengths: some padding for the encoder to skip
    assert all(len(line) <= 78 for line in report(results))  # fits the book's code column
    main(["--repeats", "1", "--small"])
    printed = capsys.readouterr().out
    for figure in ("attention over a", "training step", "GFLOP/s", "sentences/s", "padding", "teacher_forced_steps"):
        assert figure in printed, figure


def test_time_pair_returns_two_medians():
    first, second = time_pair(lambda: None, lambda: sum(range(1000)), repeats=3, warmup=1)
    assert 0 <= first and 0 < second


def test_d2l_reference_model_is_the_same_architecture():
    """Same parameter count as ours: the benchmark compares like with like."""
    import d2l.torch as d2l

    from bahdanau.models import ModelConfig, make_model

    theirs = D2LAttentionSeq2Seq(d2l, 30, 40, 8, 16, 2, 0.0)
    src, tgt = torch.randint(0, 30, (2, 5)), torch.randint(0, 40, (2, 4))
    assert theirs(src, tgt, torch.tensor([5, 3])).shape == (2, 4, 40)
    ours = make_model(ModelConfig(30, 40, 8, 16, 2, 0.0))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(theirs) == count(ours)


def test_record_stores_the_runs_and_their_medians(tmp_path):
    from bahdanau.cli.bench import RECORDED_FIGURES, record, recorded

    runs = [run(batch_size=4, num_steps=3, size=16, vocab_size=50, repeats=1) for _ in range(3)]
    path = tmp_path / "bench.json"
    document = record(runs, path)
    assert recorded(path) == document and len(document["runs"]) == 3
    for key in RECORDED_FIGURES:
        values = sorted(r[key] for r in runs)
        assert document["median"][key] == values[1], key


def test_the_shipped_benchmark_record_is_complete():
    from bahdanau.cli.bench import RECORDED_FIGURES, recorded

    document = recorded()
    assert len(document["runs"]) >= 3
    assert set(RECORDED_FIGURES) <= set(document["median"])


def test_readme_quotes_the_recorded_benchmark_runs():
    """README's benchmark table is the stored runs (bench.json), rounded as printed."""
    import re
    from pathlib import Path

    from bahdanau.cli.bench import recorded

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    document = recorded()
    rows = {  # README row label -> (figure key, how README prints one value)
        "attention over a 10-step loop, ours vs d2l": ("attention_speedup", "{:.2f}x"),
        "training step, ours vs d2l parts": ("train_step_speedup", "{:.2f}x"),
        "training step with no padding at all": ("train_step_full_length_speedup", "{:.2f}x"),
        "our step's GFLOP/s, share of a 2048³ fp32 matmul": ("train_step_peak_share", "{:.0%}"),
        "greedy decoding of 128 sentences, sentences/s": ("greedy_sentences_per_s", "{:,.0f}"),
    }
    for label, (key, form) in rows.items():
        line = next(line for line in readme.splitlines() if line.startswith(f"| {label} |"))
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")][1:]
        expected = [form.format(run[key]) for run in document["runs"]] + [form.format(document["median"][key])]
        assert cells[: len(expected)] == expected, (label, cells, expected)
    assert re.search(rf"torch {re.escape(document['torch'])}", readme)
