"""The benchmark runs and measures what it says (small sizes: no timing is asserted here)."""

import torch

from bahdanau.bench import D2LAttentionSeq2Seq, main, report, run, time_pair


def test_bench_runs_and_reports_every_figure(capsys):
    results = run(batch_size=4, num_steps=3, size=16, vocab_size=50, repeats=2)
    for key in ("attention_speedup", "train_step_speedup", "train_step_full_length_speedup",
                "train_step_gflops", "matmul_gflops", "greedy_sentences_per_s"):
        assert results[key] > 0, key
    assert 0 < results["train_step_peak_share"] < 1  # a share of the large matmul's GFLOP/s
    assert 0 < results["src_padding"] < 1  # uneven source lengths: some padding for the encoder to skip
    assert all(len(line) <= 78 for line in report(results))  # fits the book's code column
    main(["--repeats", "1", "--small"])
    printed = capsys.readouterr().out
    for figure in ("attention over a", "training step", "GFLOP/s", "sentences/s", "padding"):
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
