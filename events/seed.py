"""The bundled example: the seed release and the follow-ups curated from it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.errors import WindowError
from events.model import Kind
from events.register import Draft, Register
from events.schedule import Schedule
from events.window import Window, parse_window

SEED = Path(__file__).parent / "data" / "jcec-23.toml"


@dataclass(frozen=True)
class Seed:
    source: dict[str, Any]
    text: str
    followups: list[dict[str, Any]]


def read_seed(path: Path = SEED) -> Seed:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    source = dict(data["source"])
    text = (path.parent / source.pop("text")).read_text(encoding="utf-8")
    return Seed(source=source, text=text, followups=list(data["followup"]))


def load_seed(register: Register, path: Path = SEED) -> int:
    """Add the seed's source and follow-ups unless its text is already kept.

    Returns how many follow-ups were added: 0 when the seed was loaded before, so running
    it again changes nothing.
    """
    seed = read_seed(path)
    if register.source_with_text(seed.text) is not None:
        return 0
    source = register.add_source(text=seed.text, **seed.source)
    why = f"loaded from the bundled release of {source.published} ({source.publisher})"
    pending = list(seed.followups)
    added: set[str] = set()
    while pending:  # anchors first, whatever order the file lists them in
        ready = [entry for entry in pending if entry.get("anchor") in (None, *added)]
        if not ready:
            raise ValueError(f"{path}: anchors that are not in the file: {pending}")
        for entry in ready:
            register.add(_draft(entry, source), why=why)
            added.add(entry["id"])
            pending.remove(entry)
    return len(added)


def _draft(entry: dict[str, Any], source: Any) -> Draft:
    confirmed = entry.get("confirmed")
    schedule = None
    if confirmed is not None:
        days = parse_window(confirmed)
        if days.earliest is None or days.latest is None:
            raise WindowError(f"seed follow-up {entry.get('id')!r}: confirmed {confirmed!r} "
                              "must be days, such as 2019-01-24")
        schedule = Schedule(days.earliest, days.latest)
    return Draft(
        id=entry["id"],
        title=entry["title"],
        kind=Kind(entry["kind"]),
        window=parse_window(entry["when"]) if "when" in entry else Window.undated(),
        phrase=entry.get("phrase"),
        schedule=schedule,
        parties=entry.get("parties", []),
        location=entry.get("location"),
        anchor_id=entry.get("anchor"),
        margin_days=entry.get("margin", 0),
        source=source,
        paragraph=entry.get("paragraph"),
        sentence=entry.get("sentence"),
        tags=entry.get("tags", []),
        next_step=entry.get("next_step"),
    )
