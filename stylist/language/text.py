"""How a message is read as text: one normal form, and "consumed" spans blanked in place.

Each reader (price, references, vocabulary, ...) finds what it knows in a working copy of the
message and blanks the characters it used, keeping every other character where it was, so the
next reader does not see the same words again and positions stay comparable across readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_WORD = re.compile(r"[a-z0-9$#][\w'$.-]*[\w$]|[a-z0-9$#]|[,;.!?/]")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces; '#' and '$' kept (they mean something)."""
    text = (text or "").lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    text = text.replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip()


def blank(working: str, start: int, end: int) -> str:
    """The working text with [start, end) replaced by spaces (same length, same positions)."""
    return working[:start] + " " * (end - start) + working[end:]


def tokens(working: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, token) for words and the punctuation that separates clauses or lists."""
    for match in _WORD.finditer(working):
        yield match.start(), match.end(), match.group(0)


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """`phrase` as whole words (an apostrophe or hyphen joins a word: no "men" in "women's")."""
    return re.compile(r"(?<![\w'-])" + re.escape(phrase) + r"(?![\w'-])")


def is_content_word(token: str) -> bool:
    """A word that may say what is wanted (not a stopword, number or punctuation)."""
    return token.replace("-", "").isalpha() and len(token) > 2 and token not in STOPWORDS


# Words that carry no meaning for what is wanted once the readers have taken their words
# ("I need something to wear" -> nothing left to look up).
STOPWORDS = frozenset(
    """
    a an the for with and or nor in on of to at by from as into about me my mine i im i'm
    i'd i'll ive i've you your we our us it its it's this that these those there here one ones
    is are was were be been being am do does did doing done have has had can could would will
    shall should may might must please pls thanks thank hi hello hey ok okay yes yeah yep sure
    show find get give want wanted need needed looking look search searching see got like love
    would've some something anything everything nothing any every all just only also too very
    really quite bit little lot lots more most less least much many so such what which who whom
    whose when where why how than then now again still even maybe perhaps kind sort type stuff
    thing things item items product products option options piece pieces wear wearing wore worn
    outfit outfits go goes going went match matches pair pairs style styled styles look looks
    but if else not no don't dont doesn't isn't aren't won't can't cannot
    buy shop browse recommend suggest suggestions picks pick choose tell know think let make
    new old same similar different other another else else's good nice great cool best better
    same price cheap cheaper colour color colours colors shade shades tone size sizes
    someone somebody people person day days time today tonight tomorrow weekend's
    okay alright well um uh hmm oh ah work works working weather
    describe description caption compare tag tags identify label complete finish combine teach
    learn remember save call classify filter filters filtering reset clear start help
    """.split()
)
