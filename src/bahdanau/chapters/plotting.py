"""Plots for the book: attention heatmaps, loss curves and BLEU by sentence length.

Every function draws on a Matplotlib ``Axes`` and returns it. Pass ``ax=`` to draw into a
figure of your own (e.g. one panel of a grid); without it a new figure is made. Nothing is
shown or printed by the plotting functions: a notebook calls :func:`show` (a PNG and nothing
else), and a script calls ``plt.show()`` or ``fig.savefig(...)`` itself. Every plot has axis
labels and a title; pass ``title=`` to say what the reader should notice.

``matplotlib.pyplot`` is imported only when a function makes a new figure (no ``ax=``), so that
``import bahdanau`` stays light and never picks a Matplotlib backend.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ..data import EOS

__all__ = [
    "plot_attention",
    "plot_history",
    "plot_bleu_by_length",
    "plot_bleu_by_length_curves",
    "plot_substitution_shift",
    "plot_probe_accuracy",
    "figure_png",
    "show",
]

# Okabe–Ito colours: told apart by readers with every common kind of colour blindness.
_FIXED_COLOUR, _ATTENTION_COLOUR, _CHANCE_COLOUR = "#0072B2", "#D55E00", "#999999"
_LENGTH_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00")


def figure_png(figure_or_axes: Any, dpi: int = 110) -> bytes:
    """The figure (or the figure of an ``Axes``) as PNG bytes; the figure is then closed."""
    figure = getattr(figure_or_axes, "figure", figure_or_axes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    # Only pyplot keeps figures alive; one it never made (e.g. a bare Figure) needs no closing.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)
    return buffer.getvalue()


def show(figure_or_axes: Any, dpi: int = 110) -> None:
    """Display a figure in a notebook as a PNG image, and only that.

    Why not let Jupyter show the figure itself? It would also store a text
    version (``<Figure size 640x480 with 2 Axes>``) that readers of the book would
    see and that the notebook tests would compare. This publishes the image alone
    and closes the figure, so it is not shown a second time.
    """
    from IPython.display import display

    display({"image/png": figure_png(figure_or_axes, dpi)}, raw=True)


def _new_axes(figsize: tuple[float, float]) -> Axes:
    """A new pyplot figure with one Axes (so that ``plt.show()`` in a script shows it)."""
    import matplotlib.pyplot as plt

    # The constrained layout makes room for rotated tick labels and the colorbar.
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _as_matrix(weights: Any) -> np.ndarray:
    """A torch tensor (on any device, with or without grad) or array-like as a NumPy array."""
    if hasattr(weights, "detach"):  # a torch.Tensor: leave the graph, move to the CPU
        weights = weights.detach().cpu().numpy()
    return np.asarray(weights, dtype=float)


def _length_through_eos(tokens: Sequence[str]) -> int:
    """Number of tokens up to and including the first ``<eos>`` (all of them if there is none)."""
    tokens = list(tokens)
    return tokens.index(EOS) + 1 if EOS in tokens else len(tokens)


def plot_attention(
    weights: Any,
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
    *,
    src_label: str = "source (English)",
    tgt_label: str = "output (French)",
) -> Axes:
    """Heatmap of attention weights: which source tokens each output token looked at.

    Row i holds the weights ``alpha_ij`` that the decoder gave to the source positions j
    while producing output token i; with the padding masked each row sums to 1.

    Only the sentences themselves are drawn: rows after the first ``<eos>`` of
    ``tgt_tokens`` and columns after the first ``<eos>`` of ``src_tokens`` (padding, or
    steps decoded after the end) are dropped, so the tick labels are the token lists up to
    and including ``<eos>``. The colour scale is fixed to [0, 1] so heatmaps can be compared.

    Args:
        weights: attention weights, shape (T, S) — output tokens × source tokens; a torch
            tensor or anything NumPy can read. For a batch, pass one sentence: ``weights[0]``.
        src_tokens: the S source tokens (x-axis labels).
        tgt_tokens: the T output tokens (y-axis labels).
        ax: the Axes to draw on; a new figure sized to the sentence if None.
        title: the plot's title; a default one if None.
        src_label, tgt_label: the axis titles.

    Returns:
        The Axes, holding the heatmap as ``ax.images[0]``; its colorbar is
        ``ax.images[0].colorbar`` (labelled "attention weight").

    Raises:
        ValueError: ``weights`` is not 2-D, or its shape is not (len(tgt_tokens), len(src_tokens)).
    """
    matrix = _as_matrix(weights)
    if matrix.ndim != 2:
        raise ValueError(
            f"plot_attention needs a 2-D matrix (output tokens, source tokens); got shape "
            f"{matrix.shape}. For a batch, pass one sentence's weights, e.g. weights[0]."
        )
    if matrix.shape != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(
            f"attention weights have shape {matrix.shape} = (output tokens, source tokens), but "
            f"there are {len(tgt_tokens)} output tokens and {len(src_tokens)} source tokens; "
            f"expected shape ({len(tgt_tokens)}, {len(src_tokens)})."
        )

    num_rows, num_cols = _length_through_eos(tgt_tokens), _length_through_eos(src_tokens)
    matrix = matrix[:num_rows, :num_cols]  # (T', S'): the sentences up to <eos>
    src_shown, tgt_shown = list(src_tokens)[:num_cols], list(tgt_tokens)[:num_rows]

    if ax is None:
        # About half an inch per token, plus room for labels and the colorbar.
        ax = _new_axes((max(4.0, 0.5 * num_cols + 2.5), max(3.0, 0.4 * num_rows + 1.5)))
    image = ax.imshow(matrix, cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="attention weight")

    ax.set_xticks(range(num_cols), src_shown, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(num_rows), tgt_shown)
    ax.set_xlabel(src_label)
    ax.set_ylabel(tgt_label)
    ax.set_title(title if title is not None else "Attention weights (each row: one output token)")
    return ax


def _loss_lists(history: Any) -> tuple[list[float], list[float]]:
    """``(train_loss, val_loss)`` from a dict or from an object with those attributes."""
    if isinstance(history, Mapping):
        train_loss, val_loss = history.get("train_loss"), history.get("val_loss", [])
    else:
        train_loss = getattr(history, "train_loss", None)
        val_loss = getattr(history, "val_loss", [])
    if train_loss is None:
        raise TypeError(
            "plot_history needs a dict with a 'train_loss' key or an object with a "
            f"train_loss attribute; got {type(history).__name__}."
        )
    return list(train_loss), list(val_loss or [])


def plot_history(history: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Training (and validation) loss per epoch.

    Args:
        history: an object with attributes ``train_loss`` and ``val_loss`` (lists of floats,
            one per epoch; ``val_loss`` may be empty), or a dict with those keys.
        ax: the Axes to draw on; a new figure if None.
        title: the plot's title; a default one if None.

    Returns:
        The Axes, with one line per non-empty loss list, labelled "train" and "validation".

    Raises:
        ValueError: ``train_loss`` is empty (nothing to plot).
        TypeError: ``history`` has no ``train_loss``.
    """
    train_loss, val_loss = _loss_lists(history)
    if not train_loss:
        raise ValueError("plot_history: history.train_loss is empty; train for an epoch first.")
    if ax is None:
        ax = _new_axes((6.0, 4.0))

    # Epochs are counted from 1: the first point is the loss after (during) the first epoch.
    ax.plot(range(1, len(train_loss) + 1), train_loss, marker="o", label="train")
    if val_loss:
        ax.plot(range(1, len(val_loss) + 1), val_loss, marker="s", label="validation")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (cross-entropy per token)")
    ax.set_title(title if title is not None else "Loss per epoch")
    ax.legend()
    return ax


def _interval_errors(
    rows: Mapping[str, Mapping[str, Any]], buckets: list[str], scores: np.ndarray,
    bounds_keys: tuple[str, str] = ("bleu_low", "bleu_high"),
) -> np.ndarray | None:
    """Error bar lengths below and above each bar, shape (2, buckets); None without intervals.

    A bucket without the two ``bounds_keys`` (or without a bar) gets no error bar (NaN).
    """
    low_key, high_key = bounds_keys
    bounds = np.full((len(buckets), 2), np.nan)  # (buckets, 2): low, high
    for k, bucket in enumerate(buckets):
        row = rows.get(bucket, {})
        if low_key in row and high_key in row:
            bounds[k] = row[low_key], row[high_key]
    if np.isnan(bounds).all():
        return None
    # A percentile interval need not contain the full set's score; Matplotlib refuses a
    # negative length, so such a side is drawn with length 0.
    below = np.clip(scores - bounds[:, 0], 0, None)
    above = np.clip(bounds[:, 1] - scores, 0, None)
    return np.stack([below, above])


def plot_bleu_by_length(
    results: Mapping[str, Sequence[Mapping[str, Any]]],
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Grouped bars of corpus BLEU per source-length bucket, one colour per model.

    Args:
        results: model name -> that model's :func:`bahdanau.metrics.bleu_by_length` output
            (dicts with keys ``bucket``, ``min_len``, ``count`` and ``bleu``). Models may
            miss a bucket; its bar is then absent. A row that also has ``bleu_low`` and
            ``bleu_high`` (a 95% interval, e.g. from
            :func:`bahdanau.metrics.bleu_by_length_with_intervals`) gets an error bar from
            ``bleu_low`` to ``bleu_high``.
        ax: the Axes to draw on; a new figure if None.
        title: the plot's title; a default one if None.

    Returns:
        The Axes. The x tick labels are the bucket names, with the number of sentences on
        a second line (``"5-6\\n(n=812)"``) when every model has the same count for every bucket.
        The y label says when error bars are drawn and what they are.

    Raises:
        ValueError: ``results`` is empty or no model has any bucket.
    """
    if not results or not any(results.values()):
        raise ValueError("plot_bleu_by_length needs at least one model with at least one bucket.")

    # All buckets of all models, shortest first.
    first_length = {row["bucket"]: row["min_len"] for rows in results.values() for row in rows}
    buckets = sorted(first_length, key=first_length.get)
    by_model = {name: {row["bucket"]: row for row in rows} for name, rows in results.items()}

    # A count in the label only when it describes every model's bar in that bucket.
    counts = {
        bucket: {rows[bucket]["count"] if bucket in rows else None for rows in by_model.values()}
        for bucket in buckets
    }
    same_counts = all(len(values) == 1 and None not in values for values in counts.values())
    tick_labels = [
        f"{bucket}\n(n={next(iter(counts[bucket]))})" if same_counts else bucket
        for bucket in buckets
    ]

    if ax is None:
        ax = _new_axes((max(6.0, 1.2 * len(buckets) + 2.0), 4.0))
    positions = np.arange(len(buckets))
    bar_width = 0.8 / len(results)  # the group of bars fills 80% of a bucket's slot
    any_interval = False
    for model_index, (name, rows) in enumerate(by_model.items()):
        # NaN leaves a gap where a model has no sentence in a bucket.
        scores = np.array([rows[bucket]["bleu"] if bucket in rows else np.nan for bucket in buckets])
        offset = (model_index - (len(results) - 1) / 2) * bar_width
        errors = _interval_errors(rows, buckets, scores)
        any_interval = any_interval or errors is not None
        if errors is None:
            ax.bar(positions + offset, scores, width=bar_width, label=name)
        else:
            ax.bar(positions + offset, scores, width=bar_width, label=name, yerr=errors, capsize=3)

    ax.set_xticks(positions, tick_labels)
    ax.set_xlabel("source sentence length (tokens)")
    ax.set_ylabel("BLEU (error bars: 95% interval)" if any_interval else "BLEU")
    ax.set_title(title if title is not None else "BLEU by source sentence length")
    ax.legend()
    return ax


def plot_bleu_by_length_curves(
    record: Mapping[str, Any],
    decoding: str = "greedy",
    models: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    colours: Mapping[str, str] | None = None,
) -> Axes:
    """The paper's Fig. 2 drawn from a recorded measurement: BLEU against sentence length.

    x is the English length bucket, y corpus BLEU, one line per model with its 95% bootstrap
    interval as error bars, as Bahdanau et al. (2014) draw Fig. 2 (there without intervals).
    A model trained on the record's longest sentences is drawn solid, any other dashed.

    Args:
        record: :func:`bahdanau.pretrained.recorded_paper` (keys ``figure2``, ``trained_on``;
            see :mod:`bahdanau.cli.paper`).
        decoding: a key of ``record["figure2"]``: ``"greedy"`` or ``"beam"``.
        models: the models to draw, in legend order; every model of the record if None.
        ax: the Axes to draw on; a new figure if None.
        title: the plot's title; a default one naming the decoding if None.
        colours: model name -> Matplotlib colour; the Okabe-Ito colours in turn if None.

    Returns:
        The Axes: one :class:`~matplotlib.container.ErrorbarContainer` per model in
        ``ax.containers`` (the line's y values are the BLEU scores), x tick labels the buckets
        with their sentence counts (``"21-30\\n(n=34)"``) when every model has the same counts.

    Raises:
        ValueError: ``decoding`` or a model is not in the record.
    """
    if decoding not in record["figure2"]:
        raise ValueError(f"no decoding {decoding!r} in the record; choose one of {', '.join(record['figure2'])}")
    by_model = record["figure2"][decoding]["models"]
    names = list(by_model) if models is None else list(models)
    missing = [name for name in names if name not in by_model]
    if missing or not names:
        raise ValueError(f"models not in the record: {missing}; recorded: {', '.join(by_model)}")
    buckets = [row["bucket"] for row in by_model[names[0]]]
    counts = {tuple(row["count"] for row in by_model[name]) for name in names}
    tick_labels = ([f"{bucket}\n(n={count})" for bucket, count in zip(buckets, next(iter(counts)), strict=True)]
                   if len(counts) == 1 else buckets)
    trained_on = {name: record.get("trained_on", {}).get(name, {}).get("max_len") for name in names}
    longest = max((length for length in trained_on.values() if length is not None), default=None)

    if ax is None:
        ax = _new_axes((7.0, 4.5))
    positions = np.arange(len(buckets))
    for index, name in enumerate(names):
        rows = {row["bucket"]: row for row in by_model[name]}
        scores = np.array([rows[bucket]["bleu"] if bucket in rows else np.nan for bucket in buckets])
        errors = _interval_errors(rows, buckets, scores, ("low", "high"))  # (2, buckets)
        # Shift the models a little apart so that their error bars do not hide each other.
        offset = (index - (len(names) - 1) / 2) * 0.06
        colour = (colours or {}).get(name, _LENGTH_COLOURS[index % len(_LENGTH_COLOURS)])
        solid = trained_on[name] is None or trained_on[name] == longest
        label = name if trained_on[name] is None else f"{name} (trained on up to {trained_on[name]} tokens)"
        ax.errorbar(positions + offset, scores, yerr=errors, color=colour, marker="o" if solid else "s",
                    linestyle="-" if solid else "--", capsize=3, label=label)
    ax.set_xticks(positions, tick_labels)
    ax.set_xlabel("English sentence length (tokens)")
    ax.set_ylabel("BLEU (error bars: 95% interval)")
    ax.set_ylim(bottom=0)
    beam_size = record["figure2"][decoding].get("beam_size", 1)
    decoded = "greedy" if beam_size == 1 else f"beam search ({beam_size})"
    ax.set_title(title if title is not None else f"BLEU by sentence length, {decoded}")
    ax.legend(fontsize="small")
    return ax


def plot_substitution_shift(shift: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Bars: how far the contexts move when the word at each position is replaced.

    Args:
        shift: a :class:`bahdanau.chapters.probing.SubstitutionShift`. Its ``fixed`` shifts are drawn
            for every word; its ``attention`` shifts, when present, beside them.
        ax: the Axes to draw on; a new figure sized to the sentence if None.
        title: the plot's title; a default one if None.

    Returns:
        The Axes: the x ticks are the sentence's words, the y axis the relative shift
        ``||c' - c|| / ||c||`` (0 = unchanged).
    """
    positions = np.arange(len(shift.tokens))
    if ax is None:
        ax = _new_axes((max(5.0, 0.7 * len(positions) + 2.0), 3.6))
    width = 0.4 if shift.attention is not None else 0.7
    offset = width / 2 if shift.attention is not None else 0.0
    ax.bar(positions - offset, shift.fixed, width=width, color=_FIXED_COLOUR,
           label="fixed context c (no attention)")
    if shift.attention is not None:
        ax.bar(positions + offset, shift.attention, width=width, color=_ATTENTION_COLOUR,
               label="attention context $c_i$ at the step that reads the word")
    ax.set_xticks(positions, shift.tokens)
    ax.set_xlabel("word replaced (its position in the sentence)")
    ax.set_ylabel("relative change of the context")
    # Headroom above the tallest bar for the legend.
    tallest = np.nanmax([*shift.fixed, *(shift.attention or [])])
    ax.set_ylim(0, 1.3 * tallest if np.isfinite(tallest) and tallest > 0 else 1.0)
    ax.set_title(title if title is not None else "Replacing one word: how far the context moves")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_probe_accuracy(
    result: Any, ax: Axes | None = None, title: str | None = None, *, last_position: bool = True
) -> Axes:
    """Lines: accuracy of the position probe by word position, one colour per sentence length.

    Args:
        result: a :class:`bahdanau.chapters.probing.ProbeResult`. Solid lines: the probe reading the
            fixed context ``c``; dashed: reading the annotation ``h_j``; dotted grey: always
            naming the most frequent word (chance).
        ax: the Axes to draw on; a new figure if None.
        title: the plot's title; a default one if None.
        last_position: draw the last position too. In this corpus it is nearly always the
            final punctuation, which every probe names, so leaving it out (False) keeps the
            plot about the words; the x label then says so.

    Returns:
        The Axes; x is the word's position (1 = first word), y the held-out accuracy in [0, 1].
    """
    from matplotlib.lines import Line2D

    if ax is None:
        ax = _new_axes((9.0, 4.2))
    for index, length in enumerate(result.from_context):
        colour = _LENGTH_COLOURS[index % len(_LENGTH_COLOURS)]
        shown = length if last_position else length - 1
        positions = np.arange(1, shown + 1)
        ax.plot(positions, result.from_context[length][:shown], color=colour, marker="o", label=f"{length} words")
        ax.plot(positions, result.from_annotation[length][:shown], color=colour, linestyle="--", marker=".")
        ax.plot(positions, result.chance[length][:shown], color=_CHANCE_COLOUR, linestyle=":")
    # Two legends outside the plot, so that no line is hidden: colours, then line styles.
    lengths_legend = ax.legend(title="sentence length", loc="upper left", bbox_to_anchor=(1.02, 1.0),
                               fontsize="small")
    ax.add_artist(lengths_legend)
    styles = [Line2D([], [], color="black", marker="o"), Line2D([], [], color="black", linestyle="--"),
              Line2D([], [], color=_CHANCE_COLOUR, linestyle=":")]
    ax.legend(styles, ["probe reads c", "probe reads $h_j$", "most frequent word"], loc="lower left",
              bbox_to_anchor=(1.02, 0.0), fontsize="small")
    ax.set_xlabel("position j of the word" if last_position
                  else "position j of the word (the last position, the final punctuation, left out)")
    ax.set_ylabel("held-out accuracy of the probe")
    ax.set_ylim(0, 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title if title is not None else "Which word can a linear probe name from the state?")
    return ax
