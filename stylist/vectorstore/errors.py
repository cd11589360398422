"""Errors of catalog search; each carries a sentence a person can read and act on."""

from __future__ import annotations


class SearchError(RuntimeError):
    """Base class: `str(err)` is the sentence to show."""


class IndexMissing(SearchError):
    """The Chroma collection does not exist or holds no items."""


class EncoderMismatch(SearchError):
    """The index was built with another encoder than the one configured now."""


class UnknownFilterValue(SearchError, ValueError):
    """A filter value the catalog does not know; the message names the closest known values."""


class UnknownItem(SearchError, KeyError):
    """An item id that is not in the catalog / index."""

    def __str__(self) -> str:  # KeyError would repr() the message with quotes
        return str(self.args[0]) if self.args else "Unknown item."
