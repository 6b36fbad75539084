"""Tests for bahdanau.data: preprocessing, vocabulary, splits, batches, corpus loading.

Most tests use ``tests/fixtures/tiny_fra_eng.txt``, a made-up corpus in the fra-eng format
(``english<TAB>french``). The tests marked "real corpus" read ``$BAHDANAU_DATA/fra-eng/fra.txt``
and fail when ``BAHDANAU_DATA`` is unset (CI always sets it). Finding and downloading the corpus
is tested in tests/test_download.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bahdanau.data import (
    BOS,
    BOS_INDEX,
    EOS,
    EOS_INDEX,
    LONG_FROM,
    NUM_SPECIALS,
    PAD,
    PAD_INDEX,
    SPECIALS,
    UNK,
    UNK_INDEX,
    Batch,
    BucketBatchSampler,
    Corpus,
    DataConfig,
    Vocab,
    collate_pairs,
    d2l_config,
    encode_sources,
    filter_by_length,
    held_out_pairs,
    load_corpus,
    make_loader,
    near_duplicates,
    normalised_english,
    preprocess,
    read_pairs,
    references_by_source,
    split_by_source,
    tokenize,
)
from bahdanau.download import corpus_sha256

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_fra_eng.txt"


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_pairs() -> list:
    return read_pairs(FIXTURE)


@pytest.fixture(scope="module")
def real_pairs(real_corpus_path: Path) -> list:
    return read_pairs(real_corpus_path)


# ----------------------------------------------------------------------------------------------
# Preprocessing and tokens
# ----------------------------------------------------------------------------------------------


def test_preprocess_examples():
    assert preprocess("J’ai faim.") == "j'ai faim ."  # typographic apostrophe → '
    assert preprocess("Bonjour\u202f!") == "bonjour !"  # narrow no-break space → space
    assert preprocess("Es-tu prêt\xa0?") == "es-tu prêt ?"  # no-break space → space
    assert preprocess("Hello,everyone!") == "hello ,everyone !"  # space before , and !
    assert preprocess("Go .") == "go ."  # no second space when one is there
    assert preprocess("Yes...no?") == "yes . . .no ?"  # each mark checks its own left neighbour
    assert preprocess("!") == "!"  # nothing to the left: no space


def test_tokenize():
    assert tokenize("I don’t know.") == ["i", "don't", "know", "."]
    assert tokenize("Écoutez-moi\xa0!") == ["écoutez-moi", "!"]
    assert tokenize("The cat is  small.") == ["the", "cat", "is", "small", "."]  # no empty tokens
    assert tokenize("") == []


def test_preprocess_matches_d2l_except_apostrophe():
    from d2l import torch as d2l

    text = FIXTURE.read_text(encoding="utf-8")
    assert "’" in text and "\xa0" in text and "\u202f" in text  # the fixture covers the cases

    def d2l_preprocess(raw: str) -> str:
        return d2l.MTFraEng._preprocess(None, raw)

    assert preprocess(text) == d2l_preprocess(text.replace("’", "'"))
    assert preprocess(text) != d2l_preprocess(text)  # the apostrophe mapping is our one addition
    for line in text.splitlines():
        assert preprocess(line) == d2l_preprocess(line.replace("’", "'"))


def test_read_pairs_fixture(fixture_pairs):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    assert len(fixture_pairs) == len(lines) == 42
    src, tgt = fixture_pairs[0]
    assert src == ["i", "am", "hungry", "."]
    assert tgt == ["j'ai", "faim", "."]
    assert all(EOS not in src and EOS not in tgt for src, tgt in fixture_pairs)


def test_read_pairs_skips_malformed_lines_and_counts_lines(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("Go.\tVa !\nno tab here\na\tb\tc\n\nRun!\tCours !\n", encoding="utf-8")
    assert read_pairs(path) == [(["go", "."], ["va", "!"]), (["run", "!"], ["cours", "!"])]
    # max_pairs counts lines read, malformed ones included.
    assert read_pairs(path, max_pairs=3) == [(["go", "."], ["va", "!"])]


def per_field(path: Path, max_pairs: int | None = None) -> list:
    """read_pairs as a loop over lines, tokenize() on each field: what the file-at-once reading must give."""
    pairs = []
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file):
            if max_pairs is not None and number >= max_pairs:
                break
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) == 2:
                pairs.append((tokenize(fields[0]), tokenize(fields[1])))
    return pairs


def test_read_pairs_gives_each_field_the_tokens_tokenize_gives_it(tmp_path):
    # Punctuation opening a field or a line, spaces doubled or non-breaking, Windows line ends, a
    # last line with no line break: where preprocessing the whole file could differ from a field.
    path = tmp_path / "pairs.txt"
    path.write_bytes("...Go!\t!Va\u202f!\r\n\"Hi,\"  he said.\t« Salut »,\xa0dit-il.\r\n?\t.\n"
                     "J’ai\t,Ok ,\n\tempty english\nA.B\tC ? D\u2019E".encode())
    assert read_pairs(path) == per_field(path)
    assert read_pairs(path)[0] == ([".", ".", ".go", "!"], ["!va", "!"])
    for max_pairs in range(7):
        assert read_pairs(path, max_pairs=max_pairs) == per_field(path, max_pairs)


@pytest.mark.slow  # reads the corpus twice
def test_read_pairs_on_the_real_corpus_is_tokenize_on_each_field(real_corpus_path, real_pairs):
    assert real_pairs == per_field(real_corpus_path)



# ----------------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------------


def test_vocab_order_and_specials():
    vocab = Vocab([["b", "a", "c"], ["a", "b", "a"], ["d"]])
    # specials, then by descending count (a: 3, b: 2), ties (c, d: 1) alphabetical
    assert vocab.idx_to_token == [PAD, BOS, EOS, UNK, "a", "b", "c", "d"]
    assert (vocab.pad, vocab.bos, vocab.eos, vocab.unk) == (0, 1, 2, 3)
    assert (PAD_INDEX, BOS_INDEX, EOS_INDEX, UNK_INDEX) == (0, 1, 2, 3) and NUM_SPECIALS == len(SPECIALS) == 4
    assert [vocab[t] for t in (PAD, BOS, EOS, UNK)] == [0, 1, 2, 3]
    assert all(vocab.token_to_idx[t] == i for i, t in enumerate(vocab.idx_to_token))
    assert len(vocab) == 8


def test_vocab_unknown_tokens():
    vocab = Vocab([["a", "b"]])
    assert vocab["zebra"] == vocab.unk
    assert "a" in vocab and "zebra" not in vocab
    assert vocab.encode(["a", "zebra", "b"]) == [4, 3, 5]
    assert vocab.decode([4, 3, 5]) == ["a", UNK, "b"]
    assert vocab.decode(torch.tensor([4, 2])) == ["a", EOS]
    with pytest.raises(IndexError):
        vocab.decode([len(vocab)])


def test_vocab_min_freq_and_max_size():
    sentences = [["a", "a", "a", "b", "b", "c"], ["b", "d"]]
    assert Vocab(sentences, min_freq=2).idx_to_token[4:] == ["a", "b"]  # a: 3, b: 3 → tie, a first
    assert Vocab(sentences, min_freq=4).idx_to_token == [PAD, BOS, EOS, UNK]
    capped = Vocab(sentences, max_size=5)  # the cap counts the four specials
    assert capped.idx_to_token == [PAD, BOS, EOS, UNK, "a"]
    assert len(Vocab(sentences, max_size=100)) == 8
    with pytest.raises(ValueError):
        Vocab(sentences, max_size=3)


def test_vocab_ignores_specials_in_sentences():
    vocab = Vocab([["a", EOS, PAD, PAD]])
    assert vocab.idx_to_token == [PAD, BOS, EOS, UNK, "a"]


def test_vocab_json_round_trip(tmp_path, fixture_pairs):
    vocab = Vocab(tgt for _, tgt in fixture_pairs)
    restored = Vocab.from_json(vocab.to_json())
    assert restored == vocab
    assert restored.token_to_idx == vocab.token_to_idx
    assert restored["prêt"] == vocab["prêt"] != vocab.unk

    path = tmp_path / "vocab.json"
    vocab.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["idx_to_token"] == vocab.idx_to_token
    assert Vocab.load(path) == vocab


@pytest.mark.parametrize(
    "garbage",
    [
        "not json",
        "[]",
        '{"format": "bahdanau.Vocab", "version": 1}',
        '{"format": "other", "version": 1, "idx_to_token": ["<pad>", "<bos>", "<eos>", "<unk>"]}',
        '{"format": "bahdanau.Vocab", "version": 2, "idx_to_token": ["<pad>", "<bos>", "<eos>", "<unk>"]}',
        '{"format": "bahdanau.Vocab", "version": 1, "idx_to_token": ["<bos>", "<pad>", "<eos>", "<unk>"]}',
        '{"format": "bahdanau.Vocab", "version": 1, "idx_to_token": ["<pad>", "<bos>", "<eos>", "<unk>", "a", "a"]}',
        '{"format": "bahdanau.Vocab", "version": 1, "idx_to_token": ["<pad>", "<bos>", "<eos>", "<unk>", 7]}',
    ],
)
def test_vocab_from_json_rejects_garbage(garbage):
    with pytest.raises(ValueError):
        Vocab.from_json(garbage)


# ----------------------------------------------------------------------------------------------
# Splits, filters, references
# ----------------------------------------------------------------------------------------------


def sources(pairs) -> set:
    return {tuple(src) for src, _ in pairs}


def assert_grouped_split(pairs, splits):
    train, val, test = sources(splits.train), sources(splits.val), sources(splits.test)
    assert not train & val and not train & test and not val & test
    # every pair of a sentence is in its split, in corpus order
    for split in splits:
        split_sources = sources(split)
        assert split == [pair for pair in pairs if tuple(pair[0]) in split_sources]


def test_split_groups_by_english_on_fixture(fixture_pairs):
    splits = split_by_source(fixture_pairs, val_fraction=0.25, test_fraction=0.25, seed=0)
    assert all(len(split) > 0 for split in splits)
    assert_grouped_split(fixture_pairs, splits)
    # the fixture has English sentences with two translations: both land in one split
    assert len(fixture_pairs) > len(sources(fixture_pairs))


def test_split_is_deterministic_and_seeded(fixture_pairs):
    first = split_by_source(fixture_pairs, 0.25, 0.25, seed=0)
    assert split_by_source(fixture_pairs, 0.25, 0.25, seed=0) == first
    assert split_by_source(fixture_pairs, 0.25, 0.25, seed=1) != first


def test_split_is_stable_when_other_pairs_change(fixture_pairs):
    """A sentence's split depends on the sentence only, not on the rest of the corpus."""

    def split_of(pairs) -> dict:
        splits = split_by_source(pairs, 0.25, 0.25, seed=3)
        return {tuple(src): name for name, split in zip(splits._fields, splits, strict=True) for src, _ in split}

    full = split_of(fixture_pairs)
    for subset in (fixture_pairs[:10], fixture_pairs[10:], fixture_pairs[::3], fixture_pairs[::-1]):
        for src, name in split_of(subset).items():
            assert full[src] == name


def test_split_rejects_bad_fractions(fixture_pairs):
    with pytest.raises(ValueError):
        split_by_source(fixture_pairs, val_fraction=0.6, test_fraction=0.6)


@pytest.mark.slow
def test_split_real_corpus(real_pairs):
    splits = split_by_source(real_pairs)  # defaults: 5% val, 5% test, seed 0
    assert_grouped_split(real_pairs, splits)
    n = len(real_pairs)
    assert 0.04 * n < len(splits.val) < 0.06 * n and 0.04 * n < len(splits.test) < 0.06 * n
    # stable across presets: the first 20,000 lines split the same way as the whole corpus
    test_sources, train_sources = sources(splits.test), sources(splits.train)
    head = split_by_source(real_pairs[:20_000])
    assert sources(head.test) <= test_sources
    assert sources(head.train) <= train_sources


def _long_pairs(count: int) -> list:
    """``count`` distinct English sentences of 11 and of 4 tokens, each with a French pair."""
    pairs = []
    for i in range(count):
        pairs.append(([f"w{i}"] + ["x"] * 10, ["y"] * 11))  # 11 tokens: longer than LONG_FROM
        pairs.append(([f"s{i}", "a", "b", "."], ["c", "."]))  # 4 tokens
    return pairs


def test_a_larger_test_share_of_long_sentences_leaves_the_short_ones_alone():
    """The -10 models' split stands; long sentences of their test split stay test sentences."""
    assert LONG_FROM == 10
    pairs = _long_pairs(2000)
    plain = split_by_source(pairs, 0.05, 0.05, 0)
    more = split_by_source(pairs, 0.05, 0.05, 0, long_test_fraction=0.25)
    assert_grouped_split(pairs, more)
    short = lambda split: [pair for pair in split if len(pair[0]) <= LONG_FROM]  # noqa: E731
    long = lambda split: [pair for pair in split if len(pair[0]) > LONG_FROM]  # noqa: E731
    for name in ("train", "val", "test"):
        assert short(getattr(more, name)) == short(getattr(plain, name)), name
    assert sources(long(plain.test)) < sources(long(more.test))  # nested, and more
    assert sources(long(more.test)).isdisjoint(sources(more.train) | sources(more.val))
    share = len(long(more.test)) / 2000
    assert 0.22 < share < 0.28, share
    assert 0.03 < len(long(more.val)) / 2000 < 0.07
    with pytest.raises(ValueError):
        split_by_source(pairs, 0.05, 0.05, 0, long_test_fraction=0.99)


def test_load_corpus_and_held_out_pairs_use_the_long_test_fraction(tmp_path):
    pairs = _long_pairs(300)
    corpus_file = tmp_path / "fra.txt"
    corpus_file.write_text("".join(f"{' '.join(en)}\t{' '.join(fr)}\n" for en, fr in pairs), encoding="utf-8")
    config = DataConfig(max_len=30, min_freq=1, long_test_fraction=0.25)
    corpus = load_corpus(config, path=corpus_file)
    held_out = held_out_pairs(config, path=corpus_file)
    assert corpus.test == held_out  # every test sentence is in the held-out set
    assert sum(len(src) > LONG_FROM for src, _ in held_out) > 2 * sum(
        len(src) > LONG_FROM for src, _ in held_out_pairs(DataConfig(max_len=30), path=corpus_file))
    assert held_out_pairs(config.__dict__, path=corpus_file) == held_out  # as read back from JSON metadata


def test_filter_by_length():
    pairs = [(["a"] * 3, ["b"] * 3), (["a"] * 4, ["b"] * 2), (["a"] * 2, ["b"] * 4)]
    assert filter_by_length(pairs, 3) == pairs[:1]
    assert filter_by_length(pairs, 4) == pairs
    assert filter_by_length(pairs, None) == pairs


def test_references_by_source(fixture_pairs):
    references = references_by_source(fixture_pairs + fixture_pairs[:1])  # a duplicate pair
    assert references[("i", "am", "hungry", ".")] == [["j'ai", "faim", "."], ["j'ai", "très", "faim", "."]]
    assert references[("the", "cat", "is", "black", ".")] == [["le", "chat", "est", "noir", "."]]
    assert len(references) == len(sources(fixture_pairs))


# ----------------------------------------------------------------------------------------------
# Batches
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vocabs(fixture_pairs):
    return Vocab(src for src, _ in fixture_pairs), Vocab(tgt for _, tgt in fixture_pairs)


def test_collate_pairs_dynamic_padding(vocabs):
    src_vocab, tgt_vocab = vocabs
    pairs = [(["go", "."], ["va", "!"]), (["where", "is", "the", "cat", "?"], ["où", "est", "le", "chat", "?"])]
    batch = collate_pairs(pairs, src_vocab, tgt_vocab)
    assert isinstance(batch, Batch)
    assert batch.src.shape == (2, 6)  # (B, S): longest source 5 tokens + <eos>
    assert batch.tgt_in.shape == batch.tgt_out.shape == (2, 6)  # (B, T)
    assert all(t.dtype == torch.int64 for t in batch)
    assert batch.src_valid_len.tolist() == [3, 6]
    assert batch.tgt_valid_len.tolist() == [3, 6]

    assert src_vocab.decode(batch.src[0]) == [UNK, ".", EOS, PAD, PAD, PAD]  # "go" is not in the fixture
    assert tgt_vocab.decode(batch.tgt_in[1]) == [BOS, "où", "est", "le", "chat", "?"]
    assert tgt_vocab.decode(batch.tgt_out[1]) == ["où", "est", "le", "chat", "?", EOS]
    # tgt_out is tgt_in shifted left by one
    for row, valid in enumerate(batch.tgt_valid_len.tolist()):
        assert torch.equal(batch.tgt_in[row, 1:valid], batch.tgt_out[row, : valid - 1])
    # padding is exactly the positions past the valid length
    positions = torch.arange(6)
    assert torch.equal(batch.src != src_vocab.pad, positions < batch.src_valid_len[:, None])
    assert torch.equal(batch.tgt_out != tgt_vocab.pad, positions < batch.tgt_valid_len[:, None])


def test_collate_pairs_num_steps_pads_and_trims(vocabs):
    src_vocab, tgt_vocab = vocabs
    short = (["i", "like", "tea", "."], ["j'aime", "le", "thé", "."])
    long = (["the", "children", "play", "in", "the", "big", "green", "garden", "."],
            ["les", "enfants", "jouent", "dans", "le", "grand", "jardin", "vert", "."])
    batch = collate_pairs([short, long], src_vocab, tgt_vocab, num_steps=6)
    assert batch.src.shape == batch.tgt_in.shape == batch.tgt_out.shape == (2, 6)
    assert batch.src_valid_len.tolist() == [5, 6]  # the long row is trimmed: no <eos> left
    assert batch.tgt_valid_len.tolist() == [5, 6]
    assert src_vocab.decode(batch.src[0]) == ["i", "like", "tea", ".", EOS, PAD]
    assert EOS not in src_vocab.decode(batch.src[1])
    assert tgt_vocab.decode(batch.tgt_in[1]) == [BOS, "les", "enfants", "jouent", "dans", "le"]
    assert tgt_vocab.decode(batch.tgt_out[1]) == ["les", "enfants", "jouent", "dans", "le", "grand"]
    assert tgt_vocab.decode(batch.tgt_out[0]) == ["j'aime", "le", "thé", ".", EOS, PAD]


def test_encode_sources(vocabs):
    src_vocab, _ = vocabs
    src, src_valid_len = encode_sources([tokenize("I like tea."), tokenize("Thank you!")], src_vocab)
    assert src.shape == (2, 5) and src_valid_len.tolist() == [5, 4]
    assert src[1].tolist()[-2:] == [src_vocab.eos, src_vocab.pad]
    src, src_valid_len = encode_sources([tokenize("I like tea.")], src_vocab, num_steps=3)
    assert src.shape == (1, 3) and src_valid_len.tolist() == [3]
    with pytest.raises(ValueError):
        encode_sources([], src_vocab)


def test_make_loader(vocabs, fixture_pairs):
    src_vocab, tgt_vocab = vocabs
    loader = make_loader(fixture_pairs, src_vocab, tgt_vocab, batch_size=8)
    batches = list(loader)
    assert len(batches) == 6 and all(isinstance(b, Batch) for b in batches)
    assert sum(b.src.shape[0] for b in batches) == len(fixture_pairs)
    # unshuffled: corpus order
    assert src_vocab.decode(batches[0].src[0][:4]) == fixture_pairs[0][0]

    def first_rows(seed: int) -> list:
        loader = make_loader(fixture_pairs, src_vocab, tgt_vocab, batch_size=8, shuffle=True, seed=seed)
        return [b.src[0].tolist() for b in loader]

    assert first_rows(0) == first_rows(0)  # reproducible
    assert first_rows(0) != first_rows(1)

    fixed = make_loader(fixture_pairs, src_vocab, tgt_vocab, batch_size=8, num_steps=7)
    assert all(b.src.shape[1] == b.tgt_in.shape[1] == 7 for b in fixed)


# ----------------------------------------------------------------------------------------------
# The whole pipeline
# ----------------------------------------------------------------------------------------------


def test_load_corpus_fixture(fixture_pairs):
    config = DataConfig(max_len=8, min_freq=1, val_fraction=0.25, test_fraction=0.25, split_seed=1)
    corpus = load_corpus(config, path=FIXTURE)
    assert isinstance(corpus, Corpus)
    assert corpus.config == config and corpus.config is not config
    assert corpus.sha256 == corpus_sha256(FIXTURE)
    splits = split_by_source(fixture_pairs, 0.25, 0.25, seed=1)
    assert corpus.train == filter_by_length(splits.train, 8)
    assert corpus.val == filter_by_length(splits.val, 8)
    assert corpus.test == filter_by_length(splits.test, 8)
    # the long sentence is filtered out wherever it landed
    loaded = (corpus.train, corpus.val, corpus.test)
    assert all(len(src) <= 8 and len(tgt) <= 8 for split in loaded for src, tgt in split)
    # vocabularies come from train only
    assert corpus.src_vocab == Vocab(src for src, _ in corpus.train)
    assert corpus.tgt_vocab == Vocab(tgt for _, tgt in corpus.train)
    batch = next(iter(corpus.loader("val", batch_size=4)))
    assert batch.src.shape[0] == min(4, len(corpus.val))


def test_load_corpus_max_pairs_and_max_vocab():
    corpus = load_corpus(DataConfig(max_pairs=10, max_len=None, min_freq=1, max_vocab=9,
                                    val_fraction=0.0, test_fraction=0.0), path=FIXTURE)
    assert len(corpus.train) == 10 and corpus.val == corpus.test == []
    assert len(corpus.src_vocab) == len(corpus.tgt_vocab) == 9


def test_load_corpus_d2l_subset_on_fixture(fixture_pairs):
    config = DataConfig(d2l_subset=(10, 5), max_len=None, min_freq=1, test_fraction=0.25)
    corpus = load_corpus(config, path=FIXTURE)
    test_sources = sources(split_by_source(fixture_pairs, 0.05, 0.25).test)
    outside_test = [p for p in fixture_pairs if tuple(p[0]) not in test_sources]
    assert corpus.train == outside_test[:10] and corpus.val == outside_test[10:15]
    assert not sources(corpus.train + corpus.val) & sources(corpus.test)


@pytest.mark.slow
def test_load_corpus_d2l_config_on_real_corpus(real_corpus_path):
    config = d2l_config()
    assert (config.d2l_subset, config.num_steps, config.min_freq, config.max_len) == ((512, 128), 9, 2, None)
    corpus = load_corpus(config, data_dir=real_corpus_path.parent.parent)
    assert len(corpus.train) == 512 and len(corpus.val) == 128
    assert len(corpus.test) > 5000
    assert not sources(corpus.train + corpus.val) & sources(corpus.test)
    assert corpus.sha256 == corpus_sha256(real_corpus_path)
    batch = next(iter(corpus.loader("train", batch_size=32, shuffle=True)))
    assert batch.src.shape == batch.tgt_in.shape == batch.tgt_out.shape == (32, 9)
    assert len(corpus.src_vocab) < 1000  # min_freq=2 on 512 short pairs


def test_bucketed_loader_covers_every_pair_once_with_less_padding():
    pairs = [(["w"] * n, ["m"] * (n + 1)) for n in range(1, 11) for _ in range(20)]  # 200 pairs
    src_vocab, tgt_vocab = Vocab([["w"]]), Vocab([["m"]])
    sampler = BucketBatchSampler(pairs, batch_size=16, seed=3, pool_batches=4)
    batches = list(sampler)
    assert sorted(i for batch in batches for i in batch) == list(range(200))
    assert len(batches) == len(sampler) == 13
    # The same seed gives the same batches; the next epoch gives new ones.
    assert batches == list(BucketBatchSampler(pairs, batch_size=16, seed=3, pool_batches=4))
    assert batches != list(sampler)
    bucketed = make_loader(pairs, src_vocab, tgt_vocab, 16, shuffle=True, seed=3, bucket_by_length=True)
    plain = make_loader(pairs, src_vocab, tgt_vocab, 16, shuffle=True, seed=3)
    padded_cells = lambda loader: sum(int((b.src == 0).sum()) for b in loader)  # noqa: E731
    assert padded_cells(bucketed) < padded_cells(plain) / 2
    assert sum(len(b.src) for b in bucketed) == 200


def test_normalised_english_expands_contractions_and_drops_punctuation():
    assert normalised_english(["i'm", "tom", "."]) == ("i", "am", "tom")
    assert normalised_english(["i", "am", "tom", "!"]) == ("i", "am", "tom")
    assert normalised_english(["they", "won't", "go", ","]) == ("they", "will", "not", "go")
    assert normalised_english(["we'll", "see", "?"]) == ("we", "will", "see")
    assert normalised_english(["it's", "tom's", "."]) == ("it", "is", "tom", "is")  # counts more, not fewer


def test_near_duplicates_finds_test_sentences_that_training_says_in_other_words():
    train = [(["i", "am", "tired", "."], ["je", "suis", "fatigué", "."]), (["go", "!"], ["va", "!"])]
    test = [(["i'm", "tired", "!"], ["je", "suis", "las", "."]), (["i'm", "tired", "!"], ["je", "suis", "épuisé", "."]),
            (["i'm", "hungry", "."], ["j'ai", "faim", "."]), (["go", "."], ["file", "!"])]
    assert near_duplicates(train, test) == [("i'm", "tired", "!"), ("go", ".")]
    assert near_duplicates([], test) == []
