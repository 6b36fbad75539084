"""Tests for bahdanau.chapters.plotting: what the plots show, read back from the Axes."""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib
import matplotlib.legend

matplotlib.use("Agg")  # no display needed; must come before pyplot is used

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from bahdanau.chapters.plotting import (
    plot_attention,
    plot_bleu_by_length,
    plot_bleu_by_length_curves,
    plot_history,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _tick_texts(labels) -> list[str]:
    return [label.get_text() for label in labels]


# ----------------------------------------------------------------------------------------------
# plot_attention
# ----------------------------------------------------------------------------------------------

SRC = ["i", "am", "home", ".", "<eos>"]
TGT = ["je", "suis", "chez", "moi", ".", "<eos>"]


def _row_stochastic(num_rows: int, num_cols: int, seed: int = 0) -> torch.Tensor:
    return torch.softmax(torch.randn(num_rows, num_cols, generator=torch.manual_seed(seed)), dim=-1)


def test_attention_tick_labels_are_the_tokens():
    ax = plot_attention(_row_stochastic(len(TGT), len(SRC)), SRC, TGT)
    assert _tick_texts(ax.get_xticklabels()) == SRC
    assert _tick_texts(ax.get_yticklabels()) == TGT
    assert ax.images[0].get_array().shape == (len(TGT), len(SRC))
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert all(label.get_rotation() > 0 for label in ax.get_xticklabels())  # readable x labels


def test_attention_has_a_labelled_colorbar():
    ax = plot_attention(_row_stochastic(len(TGT), len(SRC)), SRC, TGT)
    colorbar = ax.images[0].colorbar
    assert colorbar is not None
    assert colorbar.ax.get_ylabel() == "attention weight"


def test_attention_is_cut_after_eos():
    src = SRC + ["<pad>", "<pad>"]  # padding after the source's <eos>
    tgt = TGT + ["le", "<eos>", "<pad>"]  # steps decoded after the first <eos>
    weights = np.arange(len(tgt) * len(src), dtype=float).reshape(len(tgt), len(src)) / 100
    ax = plot_attention(weights, src, tgt, title="cut")
    assert _tick_texts(ax.get_xticklabels()) == SRC
    assert _tick_texts(ax.get_yticklabels()) == TGT
    shown = np.asarray(ax.images[0].get_array())
    np.testing.assert_array_equal(shown, weights[: len(TGT), : len(SRC)])
    assert ax.get_title() == "cut"


def test_attention_without_eos_keeps_everything():
    src, tgt = ["a", "b", "c"], ["x", "y"]
    ax = plot_attention(np.full((2, 3), 1 / 3), src, tgt)
    assert _tick_texts(ax.get_xticklabels()) == src
    assert _tick_texts(ax.get_yticklabels()) == tgt


def test_attention_accepts_a_tensor_that_requires_grad():
    weights = _row_stochastic(len(TGT), len(SRC)).requires_grad_()
    plot_attention(weights, SRC, TGT)


def test_attention_draws_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_attention(_row_stochastic(len(TGT), len(SRC)), SRC, TGT, ax=right)
    assert returned is right
    assert not left.images


def test_attention_rejects_tokens_that_do_not_match_the_matrix():
    with pytest.raises(ValueError, match=r"expected shape \(6, 5\)"):
        plot_attention(np.zeros((5, 5)), SRC, TGT)
    with pytest.raises(ValueError, match=r"expected shape \(6, 5\)"):
        plot_attention(np.zeros((6, 4)), SRC, TGT)


def test_attention_rejects_a_batch():
    with pytest.raises(ValueError, match="2-D"):
        plot_attention(np.zeros((1, 6, 5)), SRC, TGT)


# ----------------------------------------------------------------------------------------------
# plot_history
# ----------------------------------------------------------------------------------------------


@dataclass
class _History:
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)


def test_history_plots_train_and_validation():
    ax = plot_history(_History(train_loss=[3.0, 2.0, 1.5], val_loss=[3.2, 2.4, 2.1]))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["train", "validation"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])  # epochs count from 1
    np.testing.assert_array_equal(lines[1].get_ydata(), [3.2, 2.4, 2.1])
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "loss (cross-entropy per token)"
    assert ax.get_title()
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["train", "validation"]


def test_history_from_a_dict_without_validation():
    ax = plot_history({"train_loss": [2.0, 1.0], "val_loss": []}, title="no validation")
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    assert ax.get_title() == "no validation"


def test_history_rejects_empty_or_missing_losses():
    with pytest.raises(ValueError, match="empty"):
        plot_history(_History())
    with pytest.raises(TypeError, match="train_loss"):
        plot_history({"loss": [1.0]})


# ----------------------------------------------------------------------------------------------
# plot_bleu_by_length
# ----------------------------------------------------------------------------------------------


def _bucket(name: str, min_len: int, max_len: int, count: int, score: float) -> dict:
    return {"bucket": name, "min_len": min_len, "max_len": max_len, "count": count, "bleu": score}


def test_bleu_by_length_labels_show_counts_when_shared():
    results = {
        "no attention": [_bucket("5-6", 5, 6, 812, 30.0), _bucket("1-4", 1, 4, 300, 40.0)],
        "attention": [_bucket("1-4", 1, 4, 300, 42.0), _bucket("5-6", 5, 6, 812, 35.0)],
    }
    ax = plot_bleu_by_length(results)
    # Buckets are ordered by length, whatever the order in the input.
    assert _tick_texts(ax.get_xticklabels()) == ["1-4\n(n=300)", "5-6\n(n=812)"]
    assert ax.get_ylabel() == "BLEU"
    assert ax.get_xlabel() and ax.get_title()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["no attention", "attention"]
    heights = sorted(patch.get_height() for patch in ax.patches)
    assert heights == [30.0, 35.0, 40.0, 42.0]


def test_bleu_by_length_labels_without_counts_when_they_differ():
    results = {
        "model a": [_bucket("1-4", 1, 4, 300, 40.0), _bucket("5-6", 5, 6, 812, 30.0)],
        "model b": [_bucket("1-4", 1, 4, 299, 41.0)],  # other count, and no 5-6 bucket
    }
    ax = plot_bleu_by_length(results, title="two models")
    assert _tick_texts(ax.get_xticklabels()) == ["1-4", "5-6"]
    assert ax.get_title() == "two models"


def _error_bars(ax) -> list[list[tuple[float, float]] | None]:
    """Per model (bar group): the (bottom, top) of each error bar, or None without error bars."""
    from matplotlib.container import BarContainer

    result = []
    for container in ax.containers:
        if not isinstance(container, BarContainer):
            continue  # the ErrorbarContainer of a group is also listed on its own
        if container.errorbar is None:
            result.append(None)
            continue
        (vertical_lines,) = container.errorbar.lines[2]
        result.append([(round(float(segment[0][1]), 9), round(float(segment[1][1]), 9))
                       for segment in vertical_lines.get_segments() if len(segment)])  # NaN: none
    return result


def test_bleu_by_length_draws_intervals_as_error_bars():
    def with_interval(row: dict, low: float, high: float) -> dict:
        return {**row, "bleu_low": low, "bleu_high": high}

    results = {
        "attention": [with_interval(_bucket("1-4", 1, 4, 548, 40.0), 36.5, 43.8),
                      with_interval(_bucket("16-100", 16, 100, 74, 7.8), 5.4, 10.2)],
        "no attention": [with_interval(_bucket("1-4", 1, 4, 548, 36.0), 32.5, 39.3),
                         with_interval(_bucket("16-100", 16, 100, 74, 5.7), 3.6, 7.9)],
    }
    ax = plot_bleu_by_length(results, title="attention is ahead at every length")
    assert _error_bars(ax) == [[(36.5, 43.8), (5.4, 10.2)], [(32.5, 39.3), (3.6, 7.9)]]
    assert sorted(patch.get_height() for patch in ax.patches) == [5.7, 7.8, 36.0, 40.0]
    assert "95% interval" in ax.get_ylabel()
    assert _tick_texts(ax.get_xticklabels()) == ["1-4\n(n=548)", "16-100\n(n=74)"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["attention", "no attention"]
    assert ax.get_title() == "attention is ahead at every length"


def test_bleu_by_length_without_intervals_draws_no_error_bars():
    results = {"a": [_bucket("1-4", 1, 4, 3, 40.0)], "b": [_bucket("1-4", 1, 4, 3, 30.0)]}
    ax = plot_bleu_by_length(results)
    assert _error_bars(ax) == [None, None]
    assert ax.get_ylabel() == "BLEU"


def test_bleu_by_length_error_bars_only_where_given():
    results = {
        "with": [{**_bucket("1-4", 1, 4, 3, 40.0), "bleu_low": 41.0, "bleu_high": 45.0}, _bucket("5-6", 5, 6, 3, 30.0)],
        "without": [_bucket("1-4", 1, 4, 3, 20.0)],
    }
    ax = plot_bleu_by_length(results)
    bars_with, bars_without = _error_bars(ax)
    assert bars_without is None
    # An interval that misses the bar's own score is drawn from the bar (no negative length).
    assert bars_with[0] == (40.0, 45.0)
    assert len(bars_with) == 1  # 5-6 has no interval: no bar drawn there


def test_bleu_by_length_rejects_empty_results():
    with pytest.raises(ValueError, match="at least one model"):
        plot_bleu_by_length({})


# ----------------------------------------------------------------------------------------------
# plot_bleu_by_length_curves
# ----------------------------------------------------------------------------------------------


def _paper_row(bucket: str, count: int, bleu: float, low: float, high: float) -> dict:
    return {"bucket": bucket, "count": count, "bleu": bleu, "low": low, "high": high}


def _paper_record() -> dict:
    """A record shaped as bahdanau.cli.paper writes it: two models, two buckets, two decodings."""
    models = {
        "long": [_paper_row("1-5", 100, 40.0, 38.0, 42.0), _paper_row("21-30", 3, 20.0, 10.0, 31.0)],
        "short": [_paper_row("1-5", 100, 35.0, 33.0, 36.5), _paper_row("21-30", 3, 4.0, 4.5, 6.0)],
    }
    return {"figure2": {"greedy": {"beam_size": 1, "models": models},
                        "beam": {"beam_size": 4, "models": models}},
            "trained_on": {"long": {"max_len": 30}, "short": {"max_len": 10}}}


def _curves(ax) -> dict[str, tuple[list[float], list[tuple[float, float]], str]]:
    """Per legend label: the line's y values, its error bars (bottom, top) and its line style."""
    result = {}
    for container in ax.containers:
        line, _, (vertical_lines,) = container.lines
        bars = [(round(float(segment[0][1]), 9), round(float(segment[1][1]), 9))
                for segment in vertical_lines.get_segments()]
        result[container.get_label()] = (list(line.get_ydata()), bars, line.get_linestyle())
    return result


def test_bleu_curves_one_line_per_model_with_intervals():
    ax = plot_bleu_by_length_curves(_paper_record(), "greedy", title="what to notice")
    curves = _curves(ax)
    assert list(curves) == ["long (trained on up to 30 tokens)", "short (trained on up to 10 tokens)"]
    scores, bars, style = curves["long (trained on up to 30 tokens)"]
    assert scores == [40.0, 20.0] and bars == [(38.0, 42.0), (10.0, 31.0)] and style == "-"
    scores, bars, style = curves["short (trained on up to 10 tokens)"]
    # An interval above the score is drawn from the score (no negative length); shorter training dashed.
    assert scores == [35.0, 4.0] and bars == [(33.0, 36.5), (4.0, 6.0)] and style == "--"
    assert _tick_texts(ax.get_xticklabels()) == ["1-5\n(n=100)", "21-30\n(n=3)"]
    assert "95% interval" in ax.get_ylabel() and ax.get_xlabel()
    assert ax.get_title() == "what to notice"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == list(curves)


def test_bleu_curves_pick_models_colours_and_decoding():
    record = _paper_record()
    ax = plot_bleu_by_length_curves(record, "beam", models=["short"], colours={"short": "#000000"})
    (label,) = _curves(ax)
    assert label.startswith("short")
    assert ax.containers[0].lines[0].get_color() == "#000000"
    assert "beam search (4)" in ax.get_title()
    record["figure2"]["greedy"]["models"]["short"][1]["count"] = 2  # the counts now differ
    ax = plot_bleu_by_length_curves(record)
    assert _tick_texts(ax.get_xticklabels()) == ["1-5", "21-30"]


def test_bleu_curves_reject_what_the_record_lacks():
    with pytest.raises(ValueError, match="no decoding"):
        plot_bleu_by_length_curves(_paper_record(), "sampling")
    with pytest.raises(ValueError, match="not in the record"):
        plot_bleu_by_length_curves(_paper_record(), models=["rnnsearch-50"])


def test_bleu_curves_draw_the_shipped_record():
    from bahdanau.pretrained import recorded_paper

    record = recorded_paper()
    ax = plot_bleu_by_length_curves(record, models=["rnnencdec-30", "rnnsearch-30"])
    curves = _curves(ax)
    assert len(curves) == 2
    expected = [row["bleu"] for row in record["figure2"]["greedy"]["models"]["rnnsearch-30"]]
    assert curves["rnnsearch-30 (trained on up to 30 tokens)"][0] == pytest.approx(expected)


def test_show_publishes_a_png_and_nothing_else(monkeypatch):
    import IPython.display

    from bahdanau.chapters.plotting import show

    published = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw=False: published.append((data, raw)))
    ax = plot_attention(torch.full((2, 3), 1 / 3), ["a", "b", "<eos>"], ["x", "<eos>"])
    show(ax)
    (data, raw), = published
    assert raw and list(data) == ["image/png"]
    assert data["image/png"].startswith(b"\x89PNG")
    assert not plt.fignum_exists(ax.figure.number)  # closed, so Jupyter does not show it again


# ----------------------------------------------------------------------------------------------
# plot_substitution_shift, plot_probe_accuracy
# ----------------------------------------------------------------------------------------------


def test_substitution_shift_draws_one_bar_per_word_and_model():
    from bahdanau.chapters.plotting import plot_substitution_shift
    from bahdanau.chapters.probing import SubstitutionShift

    shift = SubstitutionShift(["i", "run", "."], [0.5, 0.4, 0.3], [0.9, 0.8, 0.2], [0, 1, 2], "je cours .", ["go"])
    ax = plot_substitution_shift(shift)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["i", "run", "."]
    heights = [round(patch.get_height(), 6) for patch in ax.patches]
    assert heights == [0.5, 0.4, 0.3, 0.9, 0.8, 0.2]
    assert len(ax.get_legend().get_texts()) == 2 and ax.get_ylabel() and ax.get_title()
    alone = plot_substitution_shift(SubstitutionShift(["go", "."], [0.5, 0.2], None, None, None, ["run"]))
    assert len(alone.patches) == 2 and len(alone.get_legend().get_texts()) == 1
    plt.close("all")


def test_probe_accuracy_draws_context_annotation_and_chance_per_length():
    from bahdanau.chapters.plotting import plot_probe_accuracy
    from bahdanau.chapters.probing import ProbeResult

    result = ProbeResult({3: [0.7, 0.4, 1.0], 5: [0.8, 0.3, 0.2, 0.3, 1.0]},
                         {3: [0.9, 0.6, 1.0], 5: [0.9, 0.7, 0.6, 0.4, 1.0]},
                         {3: [0.2, 0.1, 0.8], 5: [0.2, 0.1, 0.1, 0.1, 0.8]}, {3: 10, 5: 10}, {3: 5, 5: 5})
    ax = plot_probe_accuracy(result)
    assert len(ax.lines) == 6  # three lines per length
    assert list(ax.lines[3].get_ydata()) == [0.8, 0.3, 0.2, 0.3, 1.0]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]  # positions counted from 1
    legends = [child for child in ax.get_children() if isinstance(child, matplotlib.legend.Legend)]
    texts = {text.get_text() for legend in legends for text in legend.get_texts()}
    assert {"3 words", "5 words", "probe reads c", "most frequent word"} <= texts
    words_only = plot_probe_accuracy(result, last_position=False)
    assert list(words_only.lines[3].get_ydata()) == [0.8, 0.3, 0.2, 0.3]
    assert "left out" in words_only.get_xlabel()
    plt.close("all")
