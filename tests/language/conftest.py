"""The real MiniLM from the installed wheel, loaded once for the language tests."""

from __future__ import annotations

import pytest
from support.demo_vocab import demo_known_values


@pytest.fixture(scope="session")
def sentence_encoder():
    from stylist.language.sentence_encoder import get_sentence_encoder

    return get_sentence_encoder()


@pytest.fixture(scope="session")
def understander(sentence_encoder):
    from stylist.language.understanding import Understander

    return Understander(demo_known_values(), encoder=sentence_encoder)
