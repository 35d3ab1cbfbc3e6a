"""What can be done to a follow-up from its page: each form's fields, read as the command
line reads the same options, and handed to the same register method as the command.

Nothing here knows of HTTP: a form is a mapping of field names to the text typed, and a
field left empty is an option not given. Bad input raises the same :class:`FollowupError`
(one line, saying how to fix it) as the command; the caller shows it and changes nothing.
The history keeps, as the reason for the change, the command that does the same thing.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from events.errors import FollowupError, WindowError
from events.register import Register, snooze_too_soon
from events.schedule import Schedule, parse_clock
from events.window import Window, describe_window, parse_window
from scheduler.config import Config

__all__ = ["ACTIONS", "Acting", "StaleForm", "UnknownAction", "act"]


class UnknownAction(FollowupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no action {name!r}: use one of {', '.join(ACTIONS)}")


@dataclass(frozen=True)
class Acting:
    """Who acts, and when: what a form's action needs beyond the form."""

    config: Config
    today: date
    #: The audience whose editor address the form came from, named in the history.
    audience: str


class _Form:
    """A submitted form's fields, each read once as the command reads the same option; the
    options given are kept, to name the command in the history."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields
        self.given: list[str] = []

    def text(self, name: str) -> str | None:
        value = self.fields.get(name, "").strip()
        if not value:
            return None
        self.given += [f"--{name.replace('_', '-')}", value]
        return value

    def flag(self, name: str) -> bool:
        checked = self.fields.get(name, "") not in ("", "0", "off")
        if checked:
            self.given.append(f"--{name}")
        return checked

    def window(self, name: str) -> Window | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_window(value)
        except WindowError as error:
            raise WindowError(f"--{name}: {error}") from None

    def required_window(self, name: str) -> Window:
        window = self.window(name)
        if window is None:
            raise FollowupError(f"--{name} is missing: give a date such as 2019-11-23")
        return window


def _line(verb: str, register: Register, followup_id: str) -> str:
    """What the action did, said in one line, with anything the register noted."""
    others = sorted({c.followup_id for c in register.changes} - {followup_id})
    said = f"{followup_id} {verb}"
    if not register.changes:
        said = f"{followup_id}: nothing changed"
    elif others:
        said += f"; {len(others)} tied to it followed ({', '.join(others)})"
    return "; ".join([said, *register.notes]) + "."


def _confirm(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    days = form.required_window("on")
    at, until = form.text("at"), form.text("until")
    timezone = form.text("tz") or acting.config.timezone
    location = form.text("location")
    schedule = Schedule.confirm(
        days,
        at=parse_clock(at) if at else None,
        until=parse_clock(until) if until else None,
        timezone=timezone,
        length=acting.config.default_length,
    )
    register.confirm(followup_id, schedule, location=location, end_assumed=bool(at and not until),
                     why=_why("confirm", followup_id, form, acting))
    if at and not until and isinstance(schedule.end, datetime):
        register.notes.append(f"no end given, so it is taken to end at {schedule.end:%H:%M}")
    return _line(f"confirmed for {schedule.describe()}", register, followup_id)


def _move(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    window = form.required_window("when")
    phrase, detach = form.text("phrase"), form.flag("detach")
    register.move(followup_id, window, phrase=phrase, detach=detach,
                  why=_why("move", followup_id, form, acting))
    return _line(f"moved to {describe_window(window)}", register, followup_id)


def _done(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    days = form.window("on")
    location = form.text("location")
    schedule = None if days is None else Schedule.confirm(days, timezone=acting.config.timezone)
    register.complete(followup_id, schedule=schedule, location=location,
                      why=_why("done", followup_id, form, acting))
    return _line("marked done", register, followup_id)


def _cancel(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    reason = form.text("reason")
    register.cancel(followup_id, reason=reason, why=_why("cancel", followup_id, form, acting))
    return _line("cancelled", register, followup_id)


def _snooze(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    clear = form.flag("clear")
    until = form.window("until")
    if clear == (until is not None):
        raise FollowupError("give either a day to snooze --until, or --clear")
    day = None
    if until is not None:
        if until.earliest is None or until.earliest != until.latest:
            raise FollowupError(f"--until {describe_window(until)} is not one day: give a day "
                                "such as 2019-03-01")
        day = until.earliest
        problem = snooze_too_soon(day, acting.today)
        if problem is not None:
            raise FollowupError(f"--until {problem}")
    note = form.text("note")
    register.snooze(followup_id, day, note=note, why=_why("snooze", followup_id, form, acting))
    verb = "chased as usual again" if day is None else f"snoozed until {day.isoformat()}"
    return _line(verb, register, followup_id)


def _note(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    text = form.fields.get("text", "")
    register.add_note(followup_id, text, why=_why("note", followup_id, form, acting,
                                                   text.strip()))
    return _line("noted", register, followup_id)


def _reopen(register: Register, acting: Acting, followup_id: str, form: _Form) -> str:
    register.reopen(followup_id, why=_why("reopen", followup_id, form, acting))
    return _line("reopened", register, followup_id)


def _why(command: str, followup_id: str, form: _Form, acting: Acting, *extra: str) -> str:
    """The command that does the same, and where it was done from."""
    typed = shlex.join(["followup", command, followup_id, *extra, *form.given])
    return f"{typed} (from the {acting.audience} editor page)"


_Act = Callable[[Register, Acting, str, _Form], str]

#: Every action by the name its form posts to, in the order the page offers them.
ACTIONS: dict[str, _Act] = {
    "confirm": _confirm,
    "move": _move,
    "snooze": _snooze,
    "note": _note,
    "done": _done,
    "cancel": _cancel,
    "reopen": _reopen,
}


class StaleForm(FollowupError):
    """The follow-up changed after the page with the form was shown."""

    def __init__(self, followup_id: str, seen: str, now: int) -> None:
        super().__init__(
            f"{followup_id} changed after this page was shown (revision {seen}, now {now}): "
            "nothing was done; read it as it is now and send the form again")


def act(register: Register, acting: Acting, followup_id: str, name: str,
        fields: Mapping[str, str]) -> str:
    """Do action ``name`` to ``followup_id`` with a form's ``fields``; the line to show.

    A form carries the revision its page showed (``revision``); when the follow-up has
    moved on since, by another hand or a release, nothing is done (:class:`StaleForm`), so
    no one confirms or cancels what they have not seen.
    """
    action = ACTIONS.get(name)
    if action is None:
        raise UnknownAction(name)
    seen = fields.get("revision", "").strip()
    current = register.get(followup_id).revision
    if seen and seen != str(current):
        raise StaleForm(followup_id, seen, current)
    return action(register, acting, followup_id, _Form(
        {key: value for key, value in fields.items() if key != "revision"}))
