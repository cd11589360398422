"""References to what the conversation already holds: shown results, sent photos, catalog ids.

"the second one", "#2", "the first two", "the last one", "that bag", "the photo I sent earlier",
"photo 2", "item 15970". Numbers up to MAX_POSITION are positions in the shown results; larger
ones are catalog ids (ids in a real catalog run to the tens of thousands).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stylist.language.result import ItemRef, PhotoRef, Reference, ResultRef
from stylist.language.text import blank

MAX_POSITION = 50

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1, "final": -1,
}  # fmt: skip
_COUNTS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "6": 6,
}
_ORD = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_PHOTO = r"(?:photo|picture|pic|image|snap|shot|upload)s?"
_ITEM_NOUN = (
    r"(?:one|ones|item|items|result|results|option|options|pick|picks|suggestion|look|product)"
)
_DET = r"(?:the|that|this|those|these|your|my)"

_PHOTO_NUMBER = re.compile(rf"\b(?:{_DET}\s+)?{_PHOTO}\s*(?:#|no\.?|number)?\s*(\d{{1,2}})\b")
_PHOTO_ORDINAL = re.compile(
    rf"\b(?:{_DET}\s+)?({_ORD}|previous|earlier|other|older|latest|newest|new|current)"
    rf"\s+{_PHOTO}\b"
)
_PHOTO_EARLIER = re.compile(
    rf"\b{_DET}\s+{_PHOTO}\s+(?:that\s+)?i\s+(?:sent|uploaded|shared|showed|attached|gave)"
    r"(?:\s+you)?\s+(?:earlier|before|previously|first|last\s+time|a\s+while\s+ago)\b"
)
_PHOTO_PLAIN = re.compile(
    rf"\b(?:{_DET}\s+)?{_PHOTO}\s+(?:that\s+)?i\s+(?:just\s+)?(?:sent|uploaded|shared|attached)"
    rf"(?:\s+you)?\b|\b(?:this|that|my|the)\s+{_PHOTO}\b"
)
_FIRST_N = re.compile(rf"\b(?:the\s+)?(?:first|top)\s+({'|'.join(_COUNTS)})(?:\s+{_ITEM_NOUN})?\b")
_NUMBERED = re.compile(
    r"(?:#\s*|\b(?:number|no\.|item|result|option|product|pick)\s*#?\s*)(\d{1,9})\b"
)


_SHOWN = r"(?:you|u)\s+(?:just\s+)?(?:showed|suggested|found|sent|picked|recommended)(?:\s+me)?"


class ReferenceReader:
    """Reads references; built once per catalog vocabulary (its kind words are in the patterns)."""

    def __init__(self, kind_phrases: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
        self.kind_phrases = kind_phrases
        kinds = "|".join(sorted(map(re.escape, kind_phrases), key=len, reverse=True)) or "(?!x)x"
        self._ordinal = re.compile(
            rf"\b(?:(?:the|that|this)\s+)?({_ORD})(?:\s+and\s+(?:the\s+)?({_ORD}))?"
            rf"(?:\s+({_ITEM_NOUN}|{kinds}))?\b"
        )
        # "that bag", "those red shoes", "the bag you showed me"
        self._demonstrative = re.compile(
            rf"\b(?:that|those)\s+(?:\w+\s+)?({kinds})\b(?:\s+{_SHOWN})?"
            rf"|\bthe\s+(?:\w+\s+)?({kinds})\s+{_SHOWN}\b"
        )

    def read(self, working: str) -> tuple[list[Reference], str]:
        """References in `working`, in the order they were said; their words are blanked."""
        found: list[tuple[int, Reference]] = []

        def take(match: re.Match[str], *refs: Reference) -> None:
            nonlocal working
            found.extend((match.start() + i, ref) for i, ref in enumerate(refs))
            working = blank(working, *match.span())

        for match in list(_PHOTO_EARLIER.finditer(working)):
            take(match, PhotoRef(index=None, earlier=True))
        for match in list(_PHOTO_NUMBER.finditer(working)):
            take(match, PhotoRef(index=int(match.group(1))))
        for match in list(_PHOTO_ORDINAL.finditer(working)):
            word = match.group(1)
            if word in ("previous", "earlier", "other", "older"):
                take(match, PhotoRef(index=None, earlier=True))
            else:
                take(match, PhotoRef(index=_ORDINALS.get(word, -1)))
        for match in list(_PHOTO_PLAIN.finditer(working)):
            take(match, PhotoRef(index=-1))
        for match in list(_FIRST_N.finditer(working)):
            take(match, ResultRef(first_n=_COUNTS[match.group(1)]))
        for match in list(self._ordinal.finditer(working)):
            said, second, noun = match.group(0), match.group(2), match.group(3)
            # A bare "first" ("first, show me shoes") is no reference: it needs "the" or a noun.
            if not (said.startswith(("the ", "that ", "this ")) or second or noun):
                continue
            kind = self._kind(noun if noun in self.kind_phrases else None)
            positions = [_ORDINALS[match.group(1)], *([_ORDINALS[second]] if second else [])]
            take(match, *(ResultRef(position=p, **kind) for p in positions))
        for match in list(_NUMBERED.finditer(working)):
            number = int(match.group(1))
            small = 1 <= number <= MAX_POSITION
            take(match, ResultRef(position=number) if small else ItemRef(item_id=number))
        for match in list(self._demonstrative.finditer(working)):
            take(match, ResultRef(**self._kind(match.group(1) or match.group(2))))
        return [ref for _, ref in sorted(found, key=lambda t: t[0])], working

    def _kind(self, phrase: str | None) -> dict:
        if not phrase:
            return {}
        values = self.kind_phrases.get(phrase, {})
        return {"kind": phrase, "kind_values": {a: list(v) for a, v in values.items()}}
