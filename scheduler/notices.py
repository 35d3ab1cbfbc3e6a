"""Turning a notice into words: Jinja2 templates, text and HTML for each kind.

Templates are checked when the daemon starts and by ``followup check``: a syntax error, a
missing file or a variable no notice provides fails there, never at send time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    meta,
    select_autoescape,
)

from events.cache import cache_file, cache_folder, leave_mark
from events.describe import anchor_when, days, next_step, tie, when
from events.errors import FollowupError
from events.ledger import QUIET_FIELDS as _QUIET
from events.model import Change, FollowUp, Kind, Notice, Source, Status
from events.planning import Audience, NoticeKind
from events.window import Phase, Window, describe_window

#: What a template may use. Anything else is a mistake caught before sending.
VARIABLES = frozenset({"notice", "followup", "audience", "ask", "coming", "unconfirmed",
                       "overdue", "missed", "changes", "summary", "changed", "news"})

#: A window ending within this long is "closing" in a digest's subject.
CLOSING_SOON = timedelta(days=7)

#: A digest lists confirmed follow-ups starting within this long.
DIGEST_AHEAD = timedelta(days=60)


class TemplateProblem(FollowupError):
    pass


def default_directory() -> Path:
    return Path(str(files("followup_templates")))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    #: The short Markdown form for chat services; empty where a template folder has none.
    markdown: str = ""


class _Environment(Environment):
    """Looks a name up in a context's dict before asking for an attribute of that name.

    ``f.title`` in a template is an attribute lookup that fails on a dict before the
    item is tried: a digest of a thousand follow-ups makes hundreds of thousands of them.
    No context key is the name of a dict method, so what a template gets is the same.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class Templates:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_directory()
        self.env = _Environment(
            loader=FileSystemLoader(self.directory),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            keep_trailing_newline=True,
            # Loaded and checked once at start-up; not looked at on disk again per notice.
            auto_reload=False,
            bytecode_cache=_bytecode_cache(),
        )

    def render(self, kind: str, context: dict[str, Any],
               forms: Collection[str] = ("html", "markdown")) -> Rendered:
        """The subject and text, and of the other forms those asked for (the rest empty):
        a channel that sends a line of text need not pay for the HTML."""
        text_module = self.env.get_template(f"{kind}.txt").make_module(context)
        html = self.env.get_template(f"{kind}.html").render(context) if "html" in forms else ""
        subject = " ".join(str(getattr(text_module, "subject", "")).split())
        markdown = ""
        if "markdown" in forms and self._has(f"{kind}.md"):
            # The request line is written once, in the text template.
            ask = str(getattr(text_module, "ask", ""))
            markdown = self.env.get_template(f"{kind}.md").render({**context, "ask": ask})
            markdown = markdown.strip() + "\n"
        return Rendered(subject=subject or kind, text=str(text_module).strip() + "\n",
                        html=html, markdown=markdown)

    def _has(self, name: str) -> bool:
        """Whether the folder has ``name``: a folder made before the Markdown forms has
        none, and its notices go to chat services as their text."""
        return (self.directory / name).is_file()

    def check(self) -> list[str]:
        """Every problem with the templates, each naming its file; empty when all is well."""
        problems: list[str] = []
        for kind in NoticeKind.ALL:
            for suffix in ("txt", "html", "md"):
                name = f"{kind}.{suffix}"
                if suffix != "md" or self._has(name):
                    problems.extend(self._check_source(name))
        if problems:
            return problems
        for kind, context in sample_contexts().items():
            try:
                self.render(kind, context)
            except Exception as error:  # a template can fail in any way: say which, and how
                problems.append(f"{self.directory / kind}.*: {error!r}")
        return problems

    def _check_source(self, name: str) -> list[str]:
        try:
            source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except TemplateNotFound:
            return [f"{self.directory / name}: missing"]
        try:
            parsed = self.env.parse(source, name, filename)
        except TemplateError as error:
            return [f"{filename}:{getattr(error, 'lineno', '?')}: {error}"]
        unknown = meta.find_undeclared_variables(parsed) - VARIABLES
        problems = [f"{filename}: unknown variable {v!r} (known: {', '.join(sorted(VARIABLES))})"
                    for v in sorted(unknown)]
        for included in meta.find_referenced_templates(parsed):
            if included is not None:
                problems.extend(self._check_source(included))
        return problems


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates kept between runs (Jinja keys each by its source's checksum): a
    daemon starting afresh need not compile them again."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        (folder / "templates").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder / "templates"))


def ensure_valid(templates: Templates) -> None:
    """Check the templates, unless these very files passed the check before: every daemon
    start would otherwise parse and try each of them again (most of a second)."""
    passed = _passed_mark(templates.directory)
    if passed is not None and passed.exists():
        return
    problems = templates.check()
    if problems:
        raise TemplateProblem(f"{len(problems)} template problem(s): " + "; ".join(problems))
    leave_mark(passed)


def _passed_mark(directory: Path) -> Path | None:
    """A file in the cache folder named by everything the check depends on: each template's
    name and bytes, the code that makes their sample contexts, and this version of Jinja."""
    parts = [repr((metadata.version("jinja2"), sorted(VARIABLES))).encode(),
             Path(__file__).read_bytes()]
    try:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                parts += [str(path.relative_to(directory)).encode() + b"\0", path.read_bytes()]
    except OSError:
        return None  # checked, and the check says what cannot be read
    return cache_file("templates", b"".join(parts), prefix="passed")


# -- contexts -----------------------------------------------------------------------------


def local(instant: datetime, audience: Audience) -> str:
    moment = instant.astimezone(audience.zone)
    return f"{moment:%a %d %b %Y %H:%M} {moment.tzname()}"


def followup_context(followup: FollowUp) -> dict[str, Any]:
    step = next_step(followup)
    source = followup.source
    anchor = followup.anchor
    window = followup.window
    return {
        "id": followup.id,
        "title": followup.title,
        "kind": str(followup.kind),
        "status": str(followup.status),
        "when": when(followup) + (" (end assumed)" if followup.end_assumed
                                  and followup.schedule is not None else ""),
        "window_words": describe_window(window),
        "latest_words": describe_window(Window.day(window.latest)) if window.latest else "",
        "phrase": followup.phrase,
        "location": followup.location,
        "parties": list(followup.parties),
        "tie": tie(followup),
        "anchor": None if anchor is None else {"id": anchor.id, "title": anchor.title,
                                               "when": anchor_when(anchor)},
        "margin_days": followup.margin_days,
        "margin_words": days(followup.margin_days),
        "sentence": followup.sentence,
        "paragraph": followup.paragraph,
        "source": None if source is None else {
            "title": source.title, "publisher": source.publisher, "url": source.url,
            "published": source.published.isoformat() if source.published else None},
        "here": "",  # a timed meeting's hours in the reader's zone, set per audience
        "next_step": step,
        # Whether that step is one a person wrote (a digest lists only those).
        "step_written": step == followup.next_step,
        "snoozed_until": None if followup.snoozed_until is None
        else followup.snoozed_until.isoformat(),
        # What waits on its dates: chased through it, not on its own.
        "riders": [] if followup.schedule is not None else [
            {"id": r.id, "title": r.title} for r in followup.riders
            if r.status is Status.EXPECTED],
        # The latest few: a mail is not the place for the whole file.
        "notes": [{"on": f"{n.at:%Y-%m-%d}", "text": n.new} for n in followup.notes[-3:]],
    }


def notice_context(notice: Notice, audience: Audience, now: datetime) -> dict[str, Any]:
    return {
        "notice": {"key": notice.key, "kind": notice.kind, "detail": notice.detail,
                   "due": local(notice.due, audience), "late": is_late(notice.due, now)},
        "audience": {"name": audience.name, "timezone": audience.timezone,
                     "selection": selection(audience)},
    }


def selection(audience: Audience) -> str:
    """Which follow-ups an audience gets, in words, for the footer that says why a reader
    gets a mail."""
    chosen = [f"tagged {', '.join(sorted(audience.tags))}"] if audience.tags else []
    if audience.kinds:
        chosen.append(f"of kind {', '.join(sorted(str(k) for k in audience.kinds))}")
    return "every follow-up" if not chosen else "the follow-ups " + " or ".join(chosen)


def in_audience_zone(followup: FollowUp, audience: Audience) -> str:
    """A timed meeting's hours in the audience's own zone, when that is not the host's:
    "09:00–16:00 KST here"; else nothing."""
    schedule = followup.schedule
    if schedule is None or not isinstance(schedule.start, datetime) \
            or not isinstance(schedule.end, datetime) or schedule.timezone == audience.timezone:
        return ""
    start, end = (t.astimezone(audience.zone) for t in (schedule.start, schedule.end))
    day = "" if start.date() == schedule.start.date() else f"{start:%d %B}, ".lstrip("0")
    return f"{day}{start:%H:%M}–{end:%H:%M} {start.tzname()} in {audience.timezone}"


def is_late(due: datetime, now: datetime) -> bool:
    """Sent noticeably after it fell due; retries after a failure are not "late"."""
    return now - due > timedelta(minutes=5)


def digest_sections(followups: Iterable[FollowUp], audience: Audience, now: datetime,
                    changes: Sequence[Change] = (),
                    described: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A digest for triage: what changed or was done since the last one first (from
    ``changes``), then what is coming, then the unconfirmed windows closing soonest first,
    then the overdue; and a subject that says what is new. ``described`` keeps each
    follow-up's :func:`followup_context` by id, to be used again while it still holds."""
    kept = {} if described is None else described

    def context(followup: FollowUp) -> dict[str, Any]:
        found = kept.get(followup.id)
        if found is None:
            found = kept[followup.id] = followup_context(followup)
        return found

    today = now.astimezone(audience.zone).date()
    coming: list[dict[str, Any]] = []
    unconfirmed: list[tuple[Any, dict[str, Any]]] = []
    overdue: list[dict[str, Any]] = []
    wanted: dict[str, FollowUp] = {}
    for followup in followups:
        wanted[followup.id] = followup
        if followup.status is Status.SCHEDULED:
            schedule = followup.schedule
            if schedule is not None and today <= schedule.days().earliest <= (  # type: ignore[operator]
                    today + DIGEST_AHEAD):
                coming.append(context(followup))
        elif followup.status is Status.EXPECTED:
            if followup.window.phase(today) is Phase.PASSED:
                overdue.append(context(followup))
            else:
                end = followup.window.latest
                unconfirmed.append(((end is None, end or today, followup.id),
                                    context(followup)))
    unconfirmed.sort(key=lambda item: item[0])
    closing = sum(1 for (open_end, end, _), _ in unconfirmed
                  if not open_end and end <= today + CLOSING_SOON)
    told = [c for c in changes if c.followup_id in wanted and c.field not in _QUIET]
    changed = change_sections(told, wanted)["changes"] if told else []
    news = [f"{len(changed)} changed"] if changed else []
    if closing:
        news.append(f"{closing} closing this week")
    if not news:
        news.append(f"nothing new; {len(unconfirmed)} unconfirmed, {len(overdue)} overdue")
    return {"changed": changed, "coming": coming, "unconfirmed": [c for _, c in unconfirmed],
            "overdue": overdue, "news": ", ".join(news)}


def missed_items(folded: Sequence[Notice], titles: dict[str, str],
                 audience: Audience) -> list[dict[str, Any]]:
    return [{"due": local(n.due, audience), "kind": n.kind, "detail": n.detail,
             "followup_id": n.followup_id, "title": titles.get(n.followup_id or "", "digest")}
            for n in folded]


def change_sections(changes: Sequence[Change],
                    followups: dict[str, FollowUp]) -> dict[str, Any]:
    """What a change notice says: per follow-up, what changed from what to what and why,
    the follow-ups changed by a command first and those derived from them after; and a
    subject that says it plainly ("TEMM 21 confirmed: 23-24 November 2019, Kitakyushu; 2
    follow-ups moved with it")."""
    groups: dict[str, list[Change]] = {}
    for change in sorted(changes, key=lambda c: c.id):
        if change.followup_id in followups:
            groups.setdefault(change.followup_id, []).append(change)
    sections: list[dict[str, Any]] = []
    for followup_id, found in groups.items():
        followup = followups[followup_id]
        sections.append({
            "followup": followup_context(followup),
            "verb": _verb(found),
            "derived": found[0].why.startswith("derived from "),
            "why": found[0].why,
            "lines": [{"field": c.field.replace("_", " "), "old": c.old, "new": c.new}
                      for c in found],
        })
    own = [s for s in sections if not s["derived"]]
    moved = [s for s in sections if s["derived"]]
    if not sections:
        return {"changes": [], "summary": "followup: nothing left to tell"}
    first = (own or moved)[0]
    summary = f"{first['followup']['title']} {first['verb']}"
    if first["verb"] == "confirmed":
        place = first["followup"]["location"]
        summary += f": {first['followup']['when']}" + (f", {place}" if place else "")
    others = len(own or moved) - 1
    if others:
        summary += f" and {others} more changed"
    if own and moved:
        summary += f"; {len(moved)} follow-up{'s' if len(moved) > 1 else ''} moved with it"
    return {"changes": own + moved, "summary": summary}


def _verb(changes: Sequence[Change]) -> str:
    fields = {c.field: c for c in changes}
    if "created" in fields:
        return "added"
    status = fields.get("status")
    if status is not None:
        if status.new == "scheduled" and status.old in ("cancelled", "done"):
            return "reopened"
        if status.new == "expected" and status.old in ("cancelled", "done"):
            return "reopened"
        return {"scheduled": "confirmed", "cancelled": "cancelled", "done": "done",
                "expected": "unconfirmed"}.get(status.new or "", "changed")
    if "schedule" in fields:
        return "confirmed"
    if "window" in fields:
        return "moved"
    anchor = fields.get("anchor")
    if anchor is not None and (anchor.new or "").endswith("(cancelled)"):
        return "left without its anchor"
    return "changed"


def sample_contexts() -> dict[str, dict[str, Any]]:
    """A context for each kind, with every optional part filled, to test templates with."""
    source = Source(title="Outcome of the 23rd Joint Committee", publisher="MOFA",
                    url="http://example.org/release", published=datetime(2019, 1, 24).date())
    h2 = Window.half_year(2019, 2)
    window = {"earliest": h2.earliest, "latest": h2.latest, "precision": h2.precision}
    anchor = FollowUp(id="temm-21", title="TEMM 21", kind=Kind.MEETING,
                      status=Status.EXPECTED, parties=[], tags=[], margin_days=0, **window)
    followup = FollowUp(id="ltp-report", title="LTP report", kind=Kind.REPORT,
                        status=Status.EXPECTED, parties=["ROK", "China", "Japan"],
                        location="Japan", phrase="on the occasion of TEMM", tags=[],
                        margin_days=7, sentence="A report to be published.", paragraph=5,
                        next_step="Follow the consultations.", anchor=anchor, source=source,
                        anchor_id="temm-21", **window)
    audience = Audience("desk", timezone="Asia/Seoul")
    now = datetime(2019, 10, 1, tzinfo=UTC)
    notice = Notice(key="ltp-report/chase/x/desk/log", kind=NoticeKind.CHASE,
                    detail="every 14 days", due=now - timedelta(days=1))
    base = notice_context(notice, audience, now)
    base["notice"]["late"] = True
    item = followup_context(followup)
    item["here"] = "09:00–16:00 KST in Asia/Seoul"
    item["snoozed_until"] = "2019-10-15"
    item["riders"] = [{"id": "ministers-at-temm-21", "title": "Ministers' meeting at TEMM 21"}]
    item["notes"] = [{"on": "2019-09-20", "text": "Japan expects to fix the dates in October."}]
    contexts: dict[str, dict[str, Any]] = {
        kind: {**base, "followup": item} for kind in NoticeKind.PER_FOLLOWUP
    }
    contexts[NoticeKind.DIGEST] = {**base, "coming": [item], "unconfirmed": [item],
                                   "overdue": [item], "news": "1 changed, 1 closing this week"}
    contexts[NoticeKind.MISSED] = {**base, "missed": missed_items(
        [notice], {"ltp-report": "LTP report"}, audience)}
    change = {"followup": item, "verb": "moved", "derived": True,
              "why": "derived from temm-21 after: followup confirm temm-21 --on 2019-11-23",
              "lines": [{"field": "window", "old": "2019-H2", "new": "2019-11-16..2019-12-01"}]}
    contexts[NoticeKind.CHANGE] = {**base, "changes": [{**change, "derived": False}, change],
                                   "summary": "TEMM 21 confirmed; 1 follow-up moved with it"}
    contexts[NoticeKind.DIGEST]["changed"] = [{**change, "derived": False}]
    return contexts
