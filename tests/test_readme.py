"""The README's BLEU tables and claims agree with the recorded metadata.

The numbers in README.md's "Pretrained models and the quality bar" section are copied from
``bahdanau/pretrained/*.json`` (each model's ``test`` and ``test_beam``) and from
``attention-vs-no-attention.json`` (the paired bootstrap of attention against no-attention). Each test parses
one table or paragraph and compares every number with the JSON, rounded as printed, so a
re-recording without a README update fails here. The claims the prose makes about gaps are
checked against the 95% intervals, at the strength the README states them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bahdanau.metrics import interval_excludes_zero
from bahdanau.pretrained import (
    PRETRAINED,
    RECORDED,
    pretrained_path,
    recorded_comparison,
    recorded_metadata,
    recorded_paper,
    recorded_seeds,
)

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION_START = "## Pretrained models and the quality bar"
SECTION_END = "### Train and evaluate yourself"
BUCKETS = ["1-4", "5-6", "7-8", "9-10", "11-15", "16-100"]
# Bucket comparisons in the difference table: 6 buckets x 2 decodings (Bonferroni's divisor).
NUM_BUCKET_COMPARISONS = 12


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index(SECTION_START) : text.index(SECTION_END)]


@pytest.fixture(scope="module")
def metadata() -> dict[str, dict]:
    return {name: recorded_metadata(name) for name in RECORDED}


@pytest.fixture(scope="module")
def comparison() -> dict:
    return recorded_comparison()


def _tables(section: str) -> list[list[list[str]]]:
    """Every Markdown table of the section: rows of cells, header first, separator dropped."""
    tables, current = [], []
    for line in section.splitlines() + [""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _table(section: str, *header_start: str) -> list[list[str]]:
    """The one table whose header begins with these cells."""
    (table,) = [t for t in _tables(section) if tuple(t[0][: len(header_start)]) == header_start]
    return table


def _paragraph(section: str, start: str) -> str:
    """The paragraph that begins with ``start``, its lines joined by single spaces."""
    (paragraph,) = [p for p in section.split("\n\n") if p.startswith(start)]
    return " ".join(paragraph.split())


def _with_interval(record: dict) -> str:
    return f"{record['bleu']:.1f} [{record['low']:.1f}, {record['high']:.1f}]"


def _difference(record: dict) -> str:
    return f"{record['bleu']:+.1f} [{record['low']:.1f}, {record['high']:.1f}]"


def _rows_by_bucket(section: dict) -> dict[str, dict]:
    return {row["bucket"]: row for row in section["by_length"]}


def test_the_comparison_is_of_the_recorded_models(metadata, comparison):
    """attention-vs-no-attention.json and the models' JSON come from the same translations."""
    assert (comparison["system"], comparison["baseline"]) == ("attention", "no-attention")
    for key in ("test", "test_beam"):
        for side, name in (("system", "attention"), ("baseline", "no-attention")):
            recorded = metadata[name][key]
            assert comparison[key]["overall"][side]["bleu"] == pytest.approx(recorded["test_bleu"], abs=1e-9)
            assert comparison[key]["overall"]["count"] == recorded["num_sentences"]
            assert [(row["bucket"], row["count"], pytest.approx(row[side]["bleu"], abs=1e-9))
                    for row in comparison[key]["by_length"]] == [
                (row["bucket"], row["count"], row["bleu"]) for row in recorded["bleu_by_length"]]


def test_models_table(section, metadata, comparison):
    table = _table(section, "model", "training pairs", "BLEU, greedy", "BLEU, beam 4")
    assert table[0][4:] == ["single-reference (greedy / beam 4)", "unknown words copied (greedy / beam 4)",
                            "alignment: argmax accuracy / AER", "size", "training time"]
    rows = {row[0].strip("`"): row for row in table[1:]}
    assert list(rows) == list(RECORDED)
    # The bootstrapped models' intervals: attention and no-attention from their comparison,
    # rnnsearch from its comparison with no-attention.
    intervals = {"attention": (comparison, "system"), "no-attention": (comparison, "baseline"),
                 "rnnsearch": (recorded_comparison("rnnsearch", "no-attention"), "system")}
    for name, (_, pairs, greedy, beam, single_ref, copied, alignment, size, minutes) in rows.items():
        recorded = metadata[name]
        assert pairs == f"{recorded['num_train_pairs']:,}"
        for cell, key in ((greedy, "test"), (beam, "test_beam")):
            if name in intervals:  # BLEU [95% interval]
                source, side = intervals[name]
                assert cell == _with_interval(source[key]["overall"][side])
            assert cell.split(" [")[0] == f"{recorded[key]['test_bleu']:.1f}"
        assert single_ref == (f"{recorded['test']['test_bleu_single_ref']:.1f} / "
                              f"{recorded['test_beam']['test_bleu_single_ref']:.1f}")
        if "replace_unk" in recorded["test"]:
            assert copied == (f"{recorded['test']['replace_unk']['test_bleu']:.1f} / "
                              f"{recorded['test_beam']['replace_unk']['test_bleu']:.1f}")
        else:
            assert copied == "-"
        if "alignment" in recorded:
            assert alignment == f"{recorded['alignment']['argmax_accuracy']:.2f} / {recorded['alignment']['aer']:.2f}"
        else:
            assert alignment == "-"
        if name in PRETRAINED:
            assert size == f"{pretrained_path(name).stat().st_size / 1e6:.1f} MB"
        else:
            assert size == "-"
        assert minutes == f"{recorded['training_seconds'] / 60:.1f} min"


def _long_split(record: dict) -> bool:
    """Tested on the larger held-out share of the long sentences (the 30-token models)."""
    return record["data_config"].get("long_test_fraction") is not None


@pytest.mark.parametrize("first", ["attention", "rnnencdec-30"])
def test_bleu_by_length_tables(section, metadata, first):
    """One table per test split: the models trained on up to 10 tokens, then those on up to 30."""
    table = _table(section, "English tokens", "sentences", f"`{first}`")
    names = [cell.strip("`") for cell in table[0][2:]]
    assert names == [name for name in RECORDED if _long_split(metadata[name]) == _long_split(metadata[first])]
    assert [row[0] for row in table[1:]] == BUCKETS
    for row in table[1:]:
        greedy = {name: {r["bucket"]: r for r in metadata[name]["test"]["bleu_by_length"]} for name in names}
        beam = {name: {r["bucket"]: r for r in metadata[name]["test_beam"]["bleu_by_length"]} for name in names}
        bucket = row[0]
        assert row[1] == f"{greedy[first][bucket]['count']:,}"
        for name, cell in zip(names, row[2:], strict=True):
            assert greedy[name][bucket]["count"] == beam[name][bucket]["count"] == greedy[first][bucket]["count"]
            assert cell == f"{greedy[name][bucket]['bleu']:.1f} / {beam[name][bucket]['bleu']:.1f}"


def test_difference_table(section, comparison):
    table = _table(section, "English tokens", "sentences", "greedy: difference [95% interval]")
    assert table[0][3:] == ["p", "beam 4: difference [95% interval]", "p"]
    expected_rows = [(f"≤ {comparison['max_len']}", "overall"), *((bucket, bucket) for bucket in BUCKETS)]
    assert [row[0] for row in table[1:]] == [label for label, _ in expected_rows]
    for row, (_, which) in zip(table[1:], expected_rows, strict=True):
        cells = []
        for key in ("test", "test_beam"):
            record = comparison[key][which] if which == "overall" else _rows_by_bucket(comparison[key])[which]
            cells += [_difference(record["difference"]), f"{record['p_value']:.3f}"]
            count = record["count"]
        assert row[1:] == [f"{count:,}", *cells]


def test_bootstrap_settings_and_signatures_are_the_recorded_ones(section, metadata, comparison):
    assert set(re.findall(r"([\d,]+) resamples", section)) == {f"{comparison['n_samples']:,}"}
    assert set(re.findall(r"seed (\d+)", section)) == {str(comparison["seed"])}
    assert f"`{comparison['test']['overall']['bleu_signature']}`" in section
    for name in RECORDED:
        for key in ("test", "test_beam"):
            assert f"`{metadata[name][key]['bleu_signature']}`" in section


def _decimals(text: str) -> set[str]:
    """The numbers with a decimal point in a text (e.g. "38.6", "0.016"), code spans left out."""
    return set(re.findall(r"(?<![\w.])\d+\.\d+", re.sub(r"`[^`]*`", "", text)))


def test_quality_bar_paragraph_numbers_are_recorded(section, metadata, comparison):
    paragraph = _paragraph(section, "**Quality bar.**")
    attention = metadata["attention"]
    allowed = {f"{attention[key][field]:.1f}" for key in ("test", "test_beam")
               for field in ("test_bleu", "test_bleu_single_ref")}
    for key in ("test", "test_beam"):
        for record in [comparison[key]["overall"], *comparison[key]["by_length"]]:
            for side in ("system", "difference"):
                allowed |= {f"{record[side][bound]:.1f}" for bound in ("bleu", "low", "high")}
            allowed.add(f"{record['p_value']:.3f}")
    allowed |= {"0.05", f"{0.05 / NUM_BUCKET_COMPARISONS:.3f}"}
    assert _decimals(paragraph) <= allowed, sorted(_decimals(paragraph) - allowed)
    # The headline figures themselves, as printed.
    overall = comparison["test_beam"]["overall"]["system"]
    assert f"**{overall['bleu']:.1f}** BLEU with beam search" in paragraph
    assert _with_interval(comparison["test"]["overall"]["system"]) in paragraph
    for key in ("test", "test_beam"):
        difference = comparison[key]["overall"]["difference"]
        assert f"{difference['bleu']:.1f} [{difference['low']:.1f}, {difference['high']:.1f}]" in paragraph


def test_quality_bar_claims_hold_at_the_strength_stated(section, comparison):
    paragraph = _paragraph(section, "**Quality bar.**")
    greedy, beam = _rows_by_bucket(comparison["test"]), _rows_by_bucket(comparison["test_beam"])

    # "95% interval [...], all of it above the bar of 35"
    assert "all of it above the bar of 35" in paragraph
    assert comparison["test_beam"]["overall"]["system"]["low"] > 35

    # "it is behind in every length bucket: no interval of the difference includes 0"
    assert "no interval of the difference includes 0" in paragraph
    for rows in (greedy, beam):
        assert all(interval_excludes_zero(row["difference"]) and row["difference"]["low"] > 0 for row in rows.values())

    # "from ... on 5–6 tokens to ... on 9–10 tokens ..., intervals that do not overlap"
    assert "intervals that do not overlap" in paragraph
    for rows in (greedy, beam):
        assert rows["5-6"]["difference"]["high"] < rows["9-10"]["difference"]["low"]

    # "the 1–4 bucket ... is too uncertain ... to say where it stands": it overlaps both.
    assert "too uncertain" in paragraph
    one_to_four = greedy["1-4"]["difference"]
    for other in ("5-6", "9-10"):
        assert one_to_four["low"] < greedy[other]["difference"]["high"]
        assert greedy[other]["difference"]["low"] < one_to_four["high"]

    # "the gap shrinks with them" beyond the training lengths.
    assert "the gap shrinks with them" in paragraph
    for rows in (greedy, beam):
        assert rows["16-100"]["difference"]["high"] < rows["11-15"]["difference"]["low"]

    # "that greedy figure ... is the one comparison that would not survive a Bonferroni correction"
    threshold = 0.05 / NUM_BUCKET_COMPARISONS
    assert "would not survive a Bonferroni correction" in paragraph
    p_values = {(key, bucket): row["p_value"] for key, rows in (("test", greedy), ("test_beam", beam))
                for bucket, row in rows.items()}
    assert [where for where, p in p_values.items() if p >= threshold] == [("test", "16-100")]
    assert greedy["16-100"]["count"] == 74 and "the 74 sentences of 16–100" in paragraph


def test_limits_paragraph_numbers_are_recorded(section, metadata):
    paragraph = _paragraph(section, "What limits the shipped models")
    assert f"{100 * metadata['attention']['test']['reference_unk_rate']:.1f} %" in paragraph
    for name in ("attention", "no-attention"):
        assert f"{100 * metadata[name]['test']['unk_rate']:.1f} % ({name})" in paragraph
    # The two models share the test split and the vocabulary size.
    assert metadata["attention"]["test"]["reference_unk_rate"] == pytest.approx(
        metadata["no-attention"]["test"]["reference_unk_rate"])


def test_papers_model_paragraph_numbers_are_recorded(section, metadata):
    """The rnnsearch paragraph: every number recorded, and its claims at the strength stated."""
    paragraph = _paragraph(section, "**The paper's model.**")
    paper, d2l_style = metadata["rnnsearch"], metadata["attention"]
    against = recorded_comparison("rnnsearch", "attention")
    allowed = {f"{paper[key]['test_bleu']:.1f}" for key in ("test", "test_beam")}
    allowed |= {f"{run[key]['replace_unk']['test_bleu']:.1f}" for run in (paper, d2l_style)
                for key in ("test", "test_beam")}
    allowed |= {f"{run['alignment'][field]:.2f}" for run in (paper, d2l_style) for field in ("argmax_accuracy", "aer")}
    for key in ("test", "test_beam"):
        difference = against[key]["overall"]["difference"]
        allowed |= {f"{difference[bound]:.1f}" for bound in ("bleu", "low", "high")}
        assert f"{difference['bleu']:.1f} [{difference['low']:.1f}, {difference['high']:.1f}]" in paragraph
        assert interval_excludes_zero(difference) and difference["low"] > 0
    allowed.add("0.6")  # the target, quoted
    assert _decimals(paragraph) <= allowed, sorted(_decimals(paragraph) - allowed)
    assert "at least 0.6" in paragraph and paper["alignment"]["argmax_accuracy"] >= 0.6
    assert f"{paper['alignment']['argmax_accuracy']:.2f}" in paragraph
    assert f"{d2l_style['alignment']['argmax_accuracy']:.2f}" in paragraph


# ----------------------------------------------------------------------------------------------
# The paper's Figure 2 and Table 1 (paper.json, python -m bahdanau.cli.paper --record)
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paper() -> dict:
    return recorded_paper()


def _cell(record: dict) -> str:
    return f"{record['bleu']:.1f} [{record['low']:.1f}, {record['high']:.1f}]"


def test_figure_2_table_is_the_record(section, paper):
    figure, counts = paper["figure2"], paper["test_split"]["sentences_by_bucket"]
    buckets = [f"{low}-{high}" for low, high in paper["buckets"]]
    table = _table(section, "model", "trained on")
    assert table[0][2:] == [f"{bucket} ({counts[bucket]:,})" for bucket in buckets]
    assert sorted(row[0].strip("`") for row in table[1:]) == sorted(paper["models"])
    for row in table[1:]:
        name = row[0].strip("`")
        greedy, beam = ({r["bucket"]: r for r in figure[key]["models"][name]} for key in ("greedy", "beam"))
        assert row[1] == f"≤ {paper['trained_on'][name]['max_len']}"
        assert row[2:] == [f"{greedy[b]['bleu']:.1f} / {beam[b]['bleu']:.1f}" for b in buckets]


def test_table_1_is_the_record_beside_the_papers_rows(section, paper):
    table = _table(section, "model", "all, greedy")
    ours = [row for row in table[1:] if row[0].startswith("`")]
    assert sorted(row[0].strip("`") for row in ours) == sorted(paper["models"])
    for row in ours:
        name = row[0].strip("`")
        assert row[1:] == [_cell(paper["table1"][key][name][subset])
                           for subset in ("all", "no_unk") for key in ("greedy", "beam")]
    theirs = {row[0].removesuffix(" (the paper)"): row for row in table[1:] if row[0].endswith("(the paper)")}
    assert set(theirs) == set(paper["paper_table1"])
    for name, row in theirs.items():
        published = paper["paper_table1"][name]
        assert row[1:] == ["", f"{published['all']:.2f}", "", f"{published['no_unk']:.2f}"]


def test_what_the_readme_says_of_figure_2_holds(section, paper):
    paragraph = _paragraph(section, "`rnnsearch-30`'s greedy lead")
    (pair,) = [d for d in paper["figure2"]["greedy"]["differences"]
               if (d["system"], d["baseline"]) == ("rnnsearch-30", "rnnencdec-30")]
    lead = {row["bucket"]: row["difference"]["bleu"] for row in pair["rows"]}
    assert f"+{lead['1-5']:.1f} BLEU (1-5 tokens) to +{lead['11-15']:.1f}" in paragraph
    assert f"holds at +{lead['16-20']:.1f} (16-20)" in paragraph
    assert lead["1-5"] < lead["6-10"] < lead["11-15"] and abs(lead["16-20"] - lead["11-15"]) < 1.5
    search = {r["bucket"]: r["bleu"] for r in paper["figure2"]["greedy"]["models"]["rnnsearch-30"]}
    assert f"({search['1-5']:.1f} to {search['16-20']:.1f} from 1-5 to 16-20 tokens)" in paragraph
    assert search["16-20"] < search["1-5"] - 10  # "still loses BLEU as sentences grow"
    assert f"on the {paper['test_split']['no_unk_sentences']:,} whose English" in section


# ----------------------------------------------------------------------------------------------
# The training-seed spread (seeds.json, python -m bahdanau.cli.seeds --record)
# ----------------------------------------------------------------------------------------------


def test_seed_spread_table_is_the_record(section):
    record = recorded_seeds()
    system, baseline = record["pair"]
    rows = record["spread"]["test"]["greedy"]
    table = _table(section, "English tokens", f"`{system}`, {len(record['seeds'])} runs")
    assert [row[0] for row in table[1:]] == ["≤ 10" if bucket == "all" else bucket for bucket in rows]
    for cells, row in zip(table[1:], rows.values()):
        assert cells[1:] == [
            "{:.1f} to {:.1f}".format(*row["range"][system]),
            "{:.1f} to {:.1f}".format(*row["range"][baseline]),
            " / ".join(f"{gap:+.1f}" for gap in row["gap"]),
        ]
    paragraph = _paragraph(section, "**One run each.**")
    assert all(str(seed) in paragraph for seed in record["seeds"])
    overall = rows["all"]["range"]
    least = min(row["range"]["gap"][0] for row in rows.values())
    allowed = {f"{value:.1f}" for value in (*overall[system], *overall[baseline])}
    allowed |= {f"{value:+.1f}" for value in (*overall["gap"], least)}
    assert _decimals(paragraph) <= allowed | {f"{v:.1f}".lstrip("+") for v in (*overall["gap"], least)}
    assert f"at least {least:+.1f}" in paragraph and least > 0


def test_light_pages_paragraph_is_the_export_record():
    """The BLEU of the exported weights and the model files' sizes: web_export.json's, as recorded."""
    from bahdanau.cli.export_web import read_record

    text = README.read_text(encoding="utf-8")
    paragraph = text[text.index("**Light pages.**"):]
    paragraph = paragraph[:paragraph.index("\n\n")]
    for name, entry in read_record()["models"].items():
        assert f"{entry['checkpoint_bleu']:.2f} → {entry['exported_bleu']:.2f} for `{name}`" in paragraph
        assert abs(entry["checkpoint_bleu"] - entry["exported_bleu"]) <= 0.5
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` | ") and "MB (" in line)
        sizes = (f"{entry['binary']['bytes'] / 1e6:.2f} MB ({entry['binary']['gzip_bytes'] / 1e6:.2f}) / "
                 f"{entry['bytes'] / 1e6:.2f} MB")
        assert sizes in row, (sizes, row)
