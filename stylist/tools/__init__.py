"""LangChain tools: thin adapters from the agent to models/ and vectorstore/.

Each tool returns `(content, artifact)`: a compact summary the model reads and a plain-JSON
artifact (`kind`: tags, products, outfit, outfits, caption, fewshot, wardrobe) the UI renders.
Photos are named by reference ("latest", "photo 2") and resolved against the graph state's
photo ids.
"""

from stylist.tools.catalog_tools import complete_outfit, find_similar, search_catalog
from stylist.tools.photo_tools import caption_image, classify_fewshot, tag_image, teach_style
from stylist.tools.profile_tools import (
    forget_me,
    forget_preference,
    remember_preference,
    show_profile,
)
from stylist.tools.wardrobe_tools import (
    plan_outfits,
    remove_from_wardrobe,
    save_to_wardrobe,
    show_wardrobe,
    update_wardrobe_item,
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
    save_to_wardrobe,
    show_wardrobe,
    update_wardrobe_item,
    remove_from_wardrobe,
    plan_outfits,
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
    "plan_outfits",
    "remove_from_wardrobe",
    "save_to_wardrobe",
    "search_catalog",
    "show_wardrobe",
    "tag_image",
    "teach_style",
    "update_wardrobe_item",
]
