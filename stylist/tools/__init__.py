"""LangChain tools: thin adapters from the agent to models/ and vectorstore/.

Each tool returns `(content, artifact)`: a compact summary the model reads and a plain-JSON
artifact (`kind`: tags, products, outfit, caption, fewshot) the UI renders. Photos are named by
reference ("latest", "photo 2") and resolved against the graph state's photo ids.
"""

from stylist.tools.catalog_tools import complete_outfit, find_similar, search_catalog
from stylist.tools.photo_tools import caption_image, classify_fewshot, tag_image, teach_style
from stylist.tools.profile_tools import (
    forget_me,
    forget_preference,
    remember_preference,
    show_profile,
)

ALL_TOOLS = [
    tag_image,
    caption_image,
    search_catalog,
    find_similar,
    complete_outfit,
    classify_fewshot,
    teach_style,
    remember_preference,
    show_profile,
    forget_preference,
    forget_me,
]

__all__ = [
    "ALL_TOOLS",
    "caption_image",
    "classify_fewshot",
    "complete_outfit",
    "find_similar",
    "forget_me",
    "forget_preference",
    "remember_preference",
    "show_profile",
    "search_catalog",
    "tag_image",
    "teach_style",
]
