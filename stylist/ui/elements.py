"""Rendered artifacts → Chainlit elements (custom JSX elements in public/elements/)."""

from __future__ import annotations

from typing import Any

import chainlit as cl

from stylist.ui.artifacts import Rendered, render_artifact


def to_elements(rendered: Rendered) -> list[cl.CustomElement]:
    return [
        cl.CustomElement(name=name, props=props, display="inline")
        for name, props in rendered.elements
    ]


def artifact_elements(artifact: dict[str, Any] | None) -> tuple[str, list[cl.CustomElement]]:
    """The markdown line and the elements for one tool artifact."""
    rendered = render_artifact(artifact)
    return rendered.markdown, to_elements(rendered)
