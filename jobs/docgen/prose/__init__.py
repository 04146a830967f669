"""Optional model-written prose on top of the static docs (any OpenAI-compatible endpoint).

Stdlib only and no Django, like the rest of the generator: the job pipeline and
`manage.py generate_docs` both pass a `ProseSettings`; without one the docs stay static.
"""

from __future__ import annotations

from .client import ChatClient, ChatSettings, ModelError, Stop
from .slots import FileSlots
from .step import ProseReport, ProseSettings, write_prose

__all__ = [
    "ChatClient",
    "ChatSettings",
    "FileSlots",
    "ModelError",
    "ProseReport",
    "ProseSettings",
    "Stop",
    "write_prose",
]
