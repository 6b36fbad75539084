"""The hand-made gold word-alignment set shipped with the package (bahdanau/gold_alignments.json)."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

from bahdanau.data import tokenize


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads((files("bahdanau") / "gold_alignments.json").read_text(encoding="utf-8"))


def test_metadata_and_size(gold: dict) -> None:
    assert gold["description"]
    assert gold["licence"] == "written for this project, MIT"
    assert len(gold["pairs"]) >= 40


def test_tokens_are_what_tokenize_returns(gold: dict) -> None:
    for pair in gold["pairs"]:
        for side in ("english", "french"):
            tokens = pair[side]
            assert tokens, pair
            assert tokenize(" ".join(tokens)) == tokens, (side, tokens)


def test_links_in_range_unique_and_at_least_two(gold: dict) -> None:
    for pair in gold["pairs"]:
        links = [tuple(link) for link in pair["links"]]
        assert len(links) >= 2, pair["english"]
        assert len(set(links)) == len(links), f"duplicate link in {pair['english']}"
        for english_index, french_index in links:
            assert 0 <= english_index < len(pair["english"]), (pair["english"], english_index)
            assert 0 <= french_index < len(pair["french"]), (pair["french"], french_index)


@pytest.mark.slow  # reads the whole corpus
def test_no_english_sentence_occurs_in_the_corpus(gold: dict, real_corpus_path: Path) -> None:
    corpus_english: set[tuple[str, ...]] = set()
    with open(real_corpus_path, encoding="utf-8") as file:
        for line in file:
            corpus_english.add(tuple(tokenize(line.rstrip("\r\n").split("\t")[0])))
    found = [" ".join(pair["english"]) for pair in gold["pairs"]
             if tuple(pair["english"]) in corpus_english]
    assert not found, f"gold English sentences that occur in the corpus: {found}"
