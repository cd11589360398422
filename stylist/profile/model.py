"""A person's style profile: a few typed facts, each with the sentence it came from.

The profile outlives a chat: it belongs to the signed-in user and is applied as the default
layer under every chat's own constraints. Only two kinds of fact filter a search (colours the
person never wears, their budget); the others (sizes, favourite colours, usual occasions,
style words) are listed back and given to an LLM as context, never used to hide items.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from stylist.wording import in_words

FactKind = Literal["avoided_colour", "favourite_colour", "budget", "size", "occasion", "style"]

# Facts that contradict each other: saying one drops the other for the same value.
OPPOSITES: dict[str, str] = {
    "avoided_colour": "favourite_colour",
    "favourite_colour": "avoided_colour",
}


class ProfileFact(BaseModel):
    """One thing the person told the stylist about themselves."""

    kind: FactKind
    value: str = ""  # a catalog value (colour, occasion), a style word or a size ("M", "9")
    amount: float | None = Field(None, ge=0)  # budget: the most they usually spend
    item: str = ""  # size: for which kind of item ("Shoes"); "" for clothes in general
    sentence: str  # what the person said, as they said it
    noted_at: str = ""  # ISO time, newest last ("forget that" forgets the newest)

    @property
    def key(self) -> str:
        """One stored fact per key: a new budget replaces the old one, a colour is one fact."""
        if self.kind == "budget":
            return "budget"
        if self.kind == "size":
            return f"size:{self.item.lower() or 'clothes'}"
        return f"{self.kind}:{self.value.lower()}"

    def describe(self) -> str:
        if self.kind == "avoided_colour":
            return f"no {self.value}"
        if self.kind == "favourite_colour":
            return f"likes {self.value}"
        if self.kind == "budget":
            return f"budget up to ${self.amount:g}"
        if self.kind == "size":
            return f"{self.item.lower() + ' ' if self.item else ''}size {self.value}"
        if self.kind == "occasion":
            return f"usually {self.value}"
        return f"style: {self.value}"


class StyleProfile(BaseModel):
    facts: list[ProfileFact] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.facts

    def of_kind(self, kind: FactKind) -> list[ProfileFact]:
        return [f for f in self.facts if f.kind == kind]

    @property
    def avoided_colours(self) -> list[str]:
        return [f.value for f in self.of_kind("avoided_colour")]

    @property
    def budget(self) -> float | None:
        found = self.of_kind("budget")
        return found[-1].amount if found else None

    def newest(self) -> ProfileFact | None:
        return max(self.facts, key=lambda f: f.noted_at) if self.facts else None

    def describe(self) -> str:
        """ "no Yellow, budget up to $50 and shoe size 9", or "nothing yet"."""
        return in_words([f.describe() for f in self.facts]) if self.facts else "nothing yet"

    def listing(self) -> str:
        """Every fact with the sentence it came from, one per line."""
        return "\n".join(f'- {f.describe()} (you said: "{f.sentence}")' for f in self.facts)
