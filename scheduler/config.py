"""config.toml, read once into a frozen structure.

Every problem in the file is collected and reported together, each with its key path, so
one round of fixes is enough. Keys followup does not know are warned about, not fatal: a
typo should not stop a daemon, but it should not pass unnoticed either.

Where the file comes from: ``--config PATH``, else ``FOLLOWUP_CONFIG``, else ``config.toml``
in the current folder, else the defaults below. ``FOLLOWUP_DATABASE_URL`` overrides
``database.url``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar

from events.cache import cache_file, leave_mark
from events.errors import ConfigError, FollowupError
from events.feed import WINDOW_SHAPES, FeedSettings
from events.ledger import PlanSettings
from events.model import Kind
from events.planning import Audience, Policy
from events.schedule import parse_clock, zone
from events.store import database_url

DEFAULT_FILE = "config.toml"

T = TypeVar("T")


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///followup.db"
    busy_timeout: float = 5.0
    seed: bool = True


@dataclass(frozen=True)
class DeliveryConfig:
    grace_hours: float = 24.0
    max_attempts: int = 8
    backoff_seconds: float = 60.0
    backoff_cap_seconds: float = 3600.0
    lease_seconds: float = 120.0
    heartbeat_seconds: float = 10.0
    poll_seconds: float = 30.0
    batch: int = 200
    #: On PostgreSQL, whether a notice's outcome is committed only once it is on disk.
    durable_outcomes: bool = True

    @property
    def dead_after(self) -> float:
        """Seconds without a heartbeat after which a daemon is presumed gone."""
        return 3 * self.heartbeat_seconds


@dataclass(frozen=True)
class LogChannelConfig:
    path: str = "-"
    format: str = "text"


@dataclass(frozen=True)
class EmailChannelConfig:
    host: str
    sender: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None


@dataclass(frozen=True)
class AppriseChannelConfig:
    #: Per audience, the environment variable that holds its Apprise URLs: they carry the
    #: services' tokens, so they are never written in config.toml.
    urls_env: Mapping[str, str] = field(default_factory=dict)
    #: Seconds to connect, and again to wait for the reply, per URL.
    timeout: float = 10.0


ChannelConfig = LogChannelConfig | EmailChannelConfig | AppriseChannelConfig


@dataclass(frozen=True)
class MetricsConfig:
    #: Serve /metrics (Prometheus) beside the feeds.
    enabled: bool = False


#: How the daemon's own log is written ([log]); the log channel is [channels.log].
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class LogConfig:
    format: str = "text"
    level: str = "info"


@dataclass(frozen=True)
class FeedsConfig:
    serve: bool = False
    host: str = "127.0.0.1"
    port: int = 8470
    base_url: str = ""
    settings: FeedSettings = field(default_factory=FeedSettings)

    @property
    def url(self) -> str:
        """Where subscribers reach the server, without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")


def _default_plan() -> PlanSettings:
    return PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul",
                                            digest="0 9 * * mon"),))


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    timezone: str = "Asia/Seoul"
    #: How long a confirmed meeting given a start and no end is taken to last.
    default_length: timedelta = timedelta(hours=1)
    plan: PlanSettings = field(default_factory=_default_plan)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    log: LogConfig = field(default_factory=LogConfig)
    channels: Mapping[str, ChannelConfig] = field(
        default_factory=lambda: {"log": LogChannelConfig()})
    #: Notice templates to use instead of the shipped ones.
    templates: Path | None = None
    feeds: FeedsConfig = field(default_factory=lambda: FeedsConfig())
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    warnings: tuple[str, ...] = ()

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the config are taken from."""
        return self.path.parent if self.path is not None else Path.cwd()


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """The file to read, or None for the defaults; a named file must exist."""
    if explicit is not None:
        named, how = explicit, "--config"
    elif "FOLLOWUP_CONFIG" in env:
        if not env["FOLLOWUP_CONFIG"].strip():
            raise ConfigError("FOLLOWUP_CONFIG", ["set but empty: unset it to use "
                                                  "./config.toml, or name a file"])
        named, how = Path(env["FOLLOWUP_CONFIG"]), "FOLLOWUP_CONFIG"
    else:
        default = Path(DEFAULT_FILE)
        return default.resolve() if default.is_file() else None
    if not named.is_file():
        raise ConfigError(str(named), [f"no such file (named by {how}): create it or name another"])
    return named.resolve()


def load_config(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    path = find_config_file(explicit, env)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(str(path), [f"not valid TOML: {error}"]) from None
        except OSError as error:
            raise ConfigError(str(path), [f"cannot be read: {error.strerror}"]) from None
    return parse_config(data, path=path, env=env)


def parse_config(
    data: Mapping[str, Any], *, path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """The Config for parsed TOML ``data``, or a ConfigError listing every problem."""
    env = {} if env is None else env
    reader = _Reader(data)
    defaults = DatabaseConfig()
    url = reader.get("database.url", str, defaults.url)
    if "FOLLOWUP_DATABASE_URL" in env:
        url = env["FOLLOWUP_DATABASE_URL"]
        if not url.strip():
            reader.problems.append("FOLLOWUP_DATABASE_URL is set but empty: unset it to use "
                                   "database.url, or give a database URL")
    reader.check("database.url", url, database_url)
    database = DatabaseConfig(
        url=url,
        busy_timeout=reader.get("database.busy_timeout", float, defaults.busy_timeout, _positive),
        seed=reader.get("database.seed", bool, defaults.seed),
    )
    timezone = reader.get("register.timezone", str, Config.timezone, zone)
    default_length = timedelta(minutes=reader.get(
        "register.default_length_minutes", int, 60, _positive))
    channels = _channels(reader)
    plan = PlanSettings(
        audiences=_audiences(reader, timezone, channels),
        default=replace(Policy(), **_policy_values(reader, "reminders")),
        by_kind=_kind_overrides(reader),
        by_followup=_overrides(reader, "reminders.followup"),
        change_quiet=timedelta(minutes=reader.get(
            "reminders.change_quiet_minutes", float, 5.0, _not_negative)),
    )
    delivery = _delivery(reader, channels)
    log = LogConfig(
        format=reader.get("log.format", str, LogConfig.format, _one_of(LOG_FORMATS)),
        level=reader.get("log.level", str, LogConfig.level, _one_of(LOG_LEVELS)),
    )
    templates = reader.get("templates.path", str, "")
    templates_dir = None
    if templates:
        templates_dir = (path.parent if path is not None else Path.cwd()) / templates
        if not templates_dir.is_dir():
            reader.problems.append(f"templates.path: no such folder {templates_dir}")
    feeds = _feeds(reader)
    metrics = MetricsConfig(enabled=reader.get("metrics.enabled", bool, False))
    _apprise_audiences(reader, channels, plan.audiences)
    if any(a.name == ALL_AUDIENCES for a in plan.audiences):
        reader.problems.append(f"audiences.{ALL_AUDIENCES}: the name is kept for the feed of "
                               "every follow-up; choose another")
    source = str(path) if path is not None else "configuration"
    if reader.problems:
        raise ConfigError(source, reader.problems)
    warnings = tuple(f"{source}: unknown key {key!r} is ignored" for key in reader.unknown())
    return Config(path=path, database=database, timezone=timezone,
                  default_length=default_length, plan=plan, log=log,
                  delivery=delivery, channels=channels, templates=templates_dir,
                  feeds=feeds, metrics=metrics, warnings=warnings)


_POLICY_FIELDS: dict[str, type] = {
    "lead_days": list, "window_opens": bool, "chase_every_days": int, "closing_days": int,
    "overdue": bool, "undated_every_days": int, "open_chase_days": tuple,
    "open_overdue_days": int, "together_days": int,
}


def _policy_values(reader: _Reader, prefix: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, kind in _POLICY_FIELDS.items():
        key = f"{prefix}.{name}"
        if not reader.has(key):
            continue
        if kind is list:
            days = reader.get_list(key, int, [])
            if any(d < 0 for d in days):
                reader.problems.append(f"{key}: days before the start are 0 or more")
            values[name] = tuple(sorted(set(days), reverse=True))
        elif kind is tuple:  # a pace, in its order
            steps = reader.get_list(key, int, [])
            if any(d <= 0 for d in steps):
                reader.problems.append(f"{key}: days between chases are 1 or more "
                                       "([] turns chasing off)")
            values[name] = tuple(steps)
        else:
            value = reader.get(key, kind, None)
            if kind is int and value is not None and value < 0:
                reader.problems.append(f"{key}: must be 0 (off) or more")
            if value is not None:
                values[name] = value
    return values


def _overrides(reader: _Reader, prefix: str) -> dict[str, dict[str, Any]]:
    return {name: _policy_values(reader, f"{prefix}.{name}")
            for name in reader.table_names(prefix)}


def _kind_overrides(reader: _Reader) -> dict[Kind, dict[str, Any]]:
    found: dict[Kind, dict[str, Any]] = {}
    for name, values in _overrides(reader, "reminders.kind").items():
        if name not in _KINDS:
            reader.problems.append(f"reminders.kind.{name}: unknown kind, use one of "
                                   + ", ".join(_KINDS))
            continue
        found[Kind(name)] = values
    return found


_KINDS = [kind.value for kind in Kind]
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_SECURITY = ("starttls", "tls", "none")


def _channels(reader: _Reader) -> dict[str, ChannelConfig]:
    channels: dict[str, ChannelConfig] = {}
    names = reader.table_names("channels") if reader.has("channels") else ["log"]
    for name in names:
        key = f"channels.{name}"
        if name == "log":
            fmt = reader.get(f"{key}.format", str, "text")
            if fmt not in ("text", "json"):
                reader.problems.append(f"{key}.format: use \"text\" or \"json\", not {fmt!r}")
            channels[name] = LogChannelConfig(path=reader.get(f"{key}.path", str, "-"),
                                              format=fmt)
        elif name == "email":
            host = reader.get(f"{key}.host", str, "")
            sender = reader.get(f"{key}.sender", str, "")
            for field_name, value in (("host", host), ("sender", sender)):
                if not value:
                    reader.problems.append(f"{key}.{field_name}: required for email")
            security = reader.get(f"{key}.security", str, "starttls")
            if security not in _SECURITY:
                reader.problems.append(f"{key}.security: use one of {', '.join(_SECURITY)}, "
                                       f"not {security!r}")
            if reader.has(f"{key}.password"):
                reader.problems.append(
                    f"{key}.password: a password does not belong in config.toml; name an "
                    "environment variable with password_env instead")
            port = reader.get(f"{key}.port", int, 465 if security == "tls" else 587)
            channels[name] = EmailChannelConfig(
                host=host, sender=sender, port=port, security=security,
                username=reader.get(f"{key}.username", str, None),
                password_env=reader.get(f"{key}.password_env", str, None),
                timeout=reader.get(f"{key}.timeout", float, 10.0, _positive),
                ca_file=reader.get(f"{key}.ca_file", str, None),
            )
        elif name == "apprise":
            channels[name] = _apprise(reader, key)
        else:
            reader.problems.append(f"{key}: unknown channel, use log, email or apprise")
    return channels


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _apprise(reader: _Reader, key: str) -> AppriseChannelConfig:
    for secret in ("urls", "url"):
        if reader.has(f"{key}.{secret}"):
            reader.problems.append(
                f"{key}.{secret}: Apprise URLs carry the services' tokens and do not belong "
                f"in config.toml; put them in an environment variable and name it per "
                f"audience in [{key}.urls_env]")
    urls_env: dict[str, str] = {}
    for audience in reader.keys(f"{key}.urls_env"):
        variable = reader.get(f"{key}.urls_env.{audience}", str, "")
        if "://" in variable:
            reader.problems.append(
                f"{key}.urls_env.{audience}: name the environment variable that holds the "
                "URLs, not a URL (URLs carry tokens and do not belong in config.toml)")
        elif _VARIABLE.fullmatch(variable) is None:
            reader.problems.append(f"{key}.urls_env.{audience}: {variable!r} is not an "
                                   "environment variable name (letters, digits and _)")
        else:
            urls_env[audience] = variable
    return AppriseChannelConfig(
        urls_env=urls_env, timeout=reader.get(f"{key}.timeout", float, 10.0, _positive))


def _apprise_audiences(reader: _Reader, channels: Mapping[str, ChannelConfig],
                       audiences: tuple[Audience, ...]) -> None:
    """Each audience told through Apprise names its URLs' variable, and only those do."""
    apprise = channels.get("apprise")
    named = apprise.urls_env if isinstance(apprise, AppriseChannelConfig) else {}
    users = {a.name for a in audiences if "apprise" in a.channels}
    for name in sorted(users - set(named)):
        reader.problems.append(
            f"channels.apprise.urls_env.{name}: audience {name} uses the apprise channel; "
            f"name the environment variable that holds its URLs, such as "
            f"{name} = \"FOLLOWUP_{name.upper().replace('-', '_')}_APPRISE\"")
    for name in sorted(set(named) - users):
        reader.problems.append(
            f"channels.apprise.urls_env.{name}: no audience {name} uses the apprise "
            f"channel; add \"apprise\" to [audiences.{name}] channels, or remove the line")


def _audiences(reader: _Reader, timezone: str,
               channels: Mapping[str, ChannelConfig]) -> tuple[Audience, ...]:
    if not reader.has("audiences"):
        return _default_plan().audiences
    found: list[Audience] = []
    for name in reader.table_names("audiences"):
        key = f"audiences.{name}"
        if _NAME.fullmatch(name) is None:
            reader.problems.append(f"{key}: an audience name is lower-case letters, digits "
                                   "and hyphens")
        tz = reader.get(f"{key}.timezone", str, timezone, zone)
        chosen = tuple(reader.get_list(f"{key}.channels", str, ["log"]))
        for channel in chosen:
            if channel not in channels:
                known = ", ".join(channels) or "none"
                reader.problems.append(f"{key}.channels: no channel {channel!r} is configured "
                                       f"(configured: {known}); add [channels.{channel}]")
        recipients = tuple(reader.get_list(f"{key}.recipients", str, []))
        if "email" in chosen and not recipients:
            reader.problems.append(f"{key}.recipients: the email channel needs at least one "
                                   "recipient")
        kinds = reader.get_list(f"{key}.kinds", str, [])
        for kind in kinds:
            if kind not in _KINDS:
                reader.problems.append(f"{key}.kinds: unknown kind {kind!r}, use one of "
                                       + ", ".join(_KINDS))
        send = reader.get(f"{key}.send_time", str, "09:00", parse_clock)
        digest = reader.get(f"{key}.digest", str, "", _cron) or None
        found.append(Audience(
            name=name, timezone=tz, recipients=recipients, channels=chosen,
            tags=frozenset(reader.get_list(f"{key}.tags", str, [])),
            kinds=frozenset(Kind(k) for k in kinds if k in _KINDS),
            send_time=_clock_or_default(send), digest=digest,
        ))
    return tuple(found)


def _clock_or_default(text: str) -> time:
    try:
        return parse_clock(text)
    except FollowupError:
        return time(9, 0)  # the problem is already reported


def _cron(expression: str) -> None:
    """Check a digest's schedule as APScheduler, which runs it, reads it.

    Importing APScheduler's cron trigger is a tenth of a second of every command that reads
    the config, so an expression found good is remembered in the cache folder, under a name
    made of it and of the installed trigger's file.
    """
    if not expression:
        return
    passed = _cron_mark(expression)
    if passed is not None and passed.exists():
        return
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as error:
        raise ValueError(f"{expression!r} is not a cron expression ({error}); write five "
                         "fields: minute hour day month weekday, such as \"0 9 * * mon\"") from None
    leave_mark(passed)


def _cron_mark(expression: str) -> Path | None:
    spec = find_spec("apscheduler")
    if spec is None or spec.origin is None:
        return None
    trigger = Path(spec.origin).parent / "triggers" / "cron" / "__init__.py"
    try:
        stamp = trigger.stat()
    except OSError:
        return None
    key = repr((expression, str(trigger), stamp.st_mtime_ns, stamp.st_size)).encode()
    return cache_file("cron", key, prefix="good")


def _delivery(reader: _Reader, channels: Mapping[str, ChannelConfig]) -> DeliveryConfig:
    d = DeliveryConfig()
    delivery = DeliveryConfig(
        grace_hours=reader.get("delivery.grace_hours", float, d.grace_hours, _not_negative),
        max_attempts=reader.get("delivery.max_attempts", int, d.max_attempts, _positive),
        backoff_seconds=reader.get("delivery.backoff_seconds", float, d.backoff_seconds,
                                   _positive),
        backoff_cap_seconds=reader.get("delivery.backoff_cap_seconds", float,
                                       d.backoff_cap_seconds, _positive),
        lease_seconds=reader.get("delivery.lease_seconds", float, d.lease_seconds, _positive),
        heartbeat_seconds=reader.get("delivery.heartbeat_seconds", float, d.heartbeat_seconds,
                                     _positive),
        poll_seconds=reader.get("delivery.poll_seconds", float, d.poll_seconds, _positive),
        batch=reader.get("delivery.batch", int, d.batch, _positive),
        durable_outcomes=reader.get("delivery.durable_outcomes", bool, d.durable_outcomes),
    )
    if delivery.backoff_cap_seconds < delivery.backoff_seconds:
        reader.problems.append(
            f"delivery.backoff_cap_seconds: {delivery.backoff_cap_seconds:g} is below "
            f"backoff_seconds ({delivery.backoff_seconds:g}); the cap is the longest wait, "
            "so make it at least as long")
    if delivery.lease_seconds < 3 * delivery.heartbeat_seconds:
        reader.problems.append(
            f"delivery.lease_seconds: {delivery.lease_seconds:g} is less than three "
            f"heartbeats ({delivery.heartbeat_seconds:g} s each): a live daemon's claims "
            "would be taken over; lengthen the lease or shorten heartbeat_seconds")
    for name, channel in channels.items():
        timeout = getattr(channel, "timeout", None)
        if timeout is not None and delivery.lease_seconds <= timeout:
            reader.problems.append(
                f"delivery.lease_seconds: {delivery.lease_seconds:g} is not longer than "
                f"channels.{name}.timeout ({timeout:g}): a send may take that long, and "
                f"another daemon would take the notice over and send it too; make the "
                f"lease at least {2 * timeout:g}")
    return delivery


ALL_AUDIENCES = "all"


def _feeds(reader: _Reader) -> FeedsConfig:
    d, s = FeedsConfig(), FeedSettings()
    base_url = reader.get("feeds.base_url", str, d.base_url)
    if base_url and not base_url.startswith(("http://", "https://")):
        reader.problems.append(f"feeds.base_url: {base_url!r} is not an http(s) address")
    shape = reader.get("feeds.windows", str, s.windows, _window_shape)
    return FeedsConfig(
        serve=reader.get("feeds.serve", bool, d.serve),
        host=reader.get("feeds.host", str, d.host),
        port=reader.get("feeds.port", int, d.port, _port),
        base_url=base_url,
        settings=FeedSettings(
            domain=reader.get("feeds.domain", str, s.domain),
            name=reader.get("feeds.name", str, s.name),
            description=reader.get("feeds.description", str, s.description),
            refresh=timedelta(minutes=reader.get("feeds.refresh_minutes", int,
                                                 int(s.refresh.total_seconds() // 60),
                                                 _positive)),
            alarms=reader.get("feeds.alarms", bool, s.alarms),
            windows=next((w for w in WINDOW_SHAPES if w == shape), s.windows),
        ),
    )


def _one_of(choices: tuple[str, ...]) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in choices:
            raise ValueError(f"use one of {', '.join(repr(c) for c in choices)}, not {value!r}")
    return check


def _window_shape(value: str) -> None:
    if value not in WINDOW_SHAPES:
        raise ValueError(f"{value!r} is not a choice: use \"span\" (one entry over the whole "
                     "window) or \"edges\" (an entry on its first day and one on its last)")


def _port(value: int) -> None:
    if not 0 <= value < 65536:
        raise ValueError("a port is between 1 and 65535 (0: any free port)")


def _not_negative(value: float) -> None:
    if value < 0:
        raise ValueError("must be 0 or more")


def _positive(value: float) -> None:
    if value <= 0:
        raise ValueError("must be more than 0")


_TYPE_NAMES = {str: "a string", float: "a number", int: "a whole number", bool: "true or false",
               list: "a list"}


class _Reader:
    """Reads dotted keys from parsed TOML, collecting problems instead of stopping."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []
        self.known: set[str] = set()

    def get(
        self,
        key: str,
        kind: type[T],
        default: T,
        check: Callable[[T], object] | None = None,
    ) -> T:
        self.known.add(key)
        value: Any = self.data
        parts = key.split(".")
        for depth, part in enumerate(parts):
            if part not in value:
                return default
            value = value[part]
            if depth < len(parts) - 1 and not isinstance(value, Mapping):
                table = ".".join(parts[: depth + 1])
                problem = f"{table}: expected a table [{table}], got {value!r}"
                if problem not in self.problems:
                    self.problems.append(problem)
                return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            self.problems.append(f"{key}: expected {_TYPE_NAMES[kind]}, got {value!r}")
            return default
        if check is not None:
            self.check(key, value, check)
        return value

    def _lookup(self, key: str) -> tuple[bool, Any]:
        value: Any = self.data
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return False, None
            value = value[part]
        return True, value

    def has(self, key: str) -> bool:
        return self._lookup(key)[0]

    def _table(self, key: str) -> Mapping[str, Any]:
        """The table at ``key``: empty when absent, and when it is not a table (a problem)."""
        found, value = self._lookup(key)
        if not found:
            return {}
        if not isinstance(value, Mapping):
            self.problems.append(f"{key}: expected a table [{key}], got {value!r}")
            return {}
        return value

    def table_names(self, key: str) -> list[str]:
        """The names of the tables under ``key`` ([audiences.desk] gives "desk")."""
        names = []
        for name, inner in self._table(key).items():
            if isinstance(inner, Mapping):
                names.append(name)
            else:
                self.problems.append(f"{key}.{name}: expected a table [{key}.{name}], "
                                     f"got {inner!r}")
        return names

    def keys(self, key: str) -> list[str]:
        """The keys of the table at ``key`` (none when it is absent)."""
        return list(self._table(key))

    def get_list(self, key: str, item: type[T], default: list[T]) -> list[T]:
        values = self.get(key, list, default)
        wrong = [v for v in values if not isinstance(v, item) or isinstance(v, bool)]
        if wrong:
            self.problems.append(f"{key}: expected a list of {_TYPE_NAMES[item].split(' ', 1)[1]}"
                                 f"s, got {wrong[0]!r} in it")
            return default
        return values

    def check(self, key: str, value: T, check: Callable[[T], object]) -> None:
        try:
            check(value)
        except (FollowupError, ValueError) as problem:
            self.problems.append(f"{key}: {problem}")

    def unknown(self) -> list[str]:
        found: list[str] = []

        def walk(prefix: str, node: Mapping[str, Any]) -> None:
            for name, value in node.items():
                key = f"{prefix}{name}"
                if key in self.known:
                    continue
                if isinstance(value, Mapping) and any(k.startswith(key + ".") for k in self.known):
                    walk(key + ".", value)
                else:
                    found.append(key)

        walk("", self.data)
        return found
