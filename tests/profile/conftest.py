"""Fixtures for the profile tests: the real MiniLM reading against the demo catalog's words."""

from __future__ import annotations

import pytest
from support.demo_vocab import demo_known_values


@pytest.fixture(scope="session")
def understander():
    from stylist.language.understanding import Understander

    return Understander(demo_known_values())


@pytest.fixture(scope="session")
def reader(understander):
    from stylist.profile import profile_reader

    return profile_reader(understander.encoder, understander.skeleton)
