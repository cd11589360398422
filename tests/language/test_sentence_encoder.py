"""The sentence encoder interface: the real MiniLM from the wheel, its cache, its failure sentence."""

from __future__ import annotations

import types

import numpy as np
import pytest

from stylist.language.sentence_encoder import (
    INSTALL_HINT,
    SentenceEncoderUnavailable,
    get_sentence_encoder,
    model_directory,
)


def test_rows_are_384_float32_unit_vectors(sentence_encoder):
    rows = sentence_encoder.encode(["red summer dress", "black formal shoes", "hi"])
    assert rows.shape == (3, 384)
    assert rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert sentence_encoder.encode("one text").shape == (1, 384)
    assert sentence_encoder.encode([]).shape == (0, 384)


def test_similar_phrases_are_closer_than_unrelated_ones(sentence_encoder):
    anchor, near, far = sentence_encoder.encode(
        ["a pair of trainers for running", "sports shoes for jogging", "a quarterly tax report"]
    )
    assert anchor @ near > anchor @ far + 0.2


def test_a_repeated_text_is_served_from_the_cache(sentence_encoder):
    first = sentence_encoder.vector("a navy blazer for a wedding, cached")
    misses = sentence_encoder.cache_info()["misses"]
    again = sentence_encoder.vector("a navy blazer for a wedding, cached")
    assert again is first  # the same array: no model call, no copy
    assert not again.flags.writeable  # a caller cannot corrupt the cache
    assert sentence_encoder.cache_info()["misses"] == misses
    batch = sentence_encoder.encode(["a navy blazer for a wedding, cached", "hi"])
    np.testing.assert_array_equal(batch[0], first)


def test_the_cache_is_bounded(sentence_encoder):
    from stylist.language.sentence_encoder import SentenceEncoder

    small = SentenceEncoder(sentence_encoder.model, num_threads=1, cache_size=2)
    small.encode(["one", "two", "three"])
    assert small.cache_info()["size"] == 2
    small.vector("one")  # evicted first, so it is encoded again
    assert small.cache_info()["misses"] == 4


def test_the_encoder_is_loaded_once_per_process(sentence_encoder):
    assert get_sentence_encoder() is sentence_encoder


def test_a_missing_package_is_a_sentence_naming_the_install_command():
    def not_installed(name):
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)

    with pytest.raises(SentenceEncoderUnavailable) as err:
        get_sentence_encoder(import_module=not_installed)
    assert INSTALL_HINT in str(err.value)
    assert "Traceback" not in str(err.value)


def test_a_package_without_its_model_files_says_to_reinstall(tmp_path):
    empty = types.SimpleNamespace(get_model_path=lambda: tmp_path)
    with pytest.raises(SentenceEncoderUnavailable) as err:
        model_directory(import_module=lambda name: empty)
    assert INSTALL_HINT in str(err.value) and str(tmp_path) in str(err.value)
