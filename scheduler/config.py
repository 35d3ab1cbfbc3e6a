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
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from events.errors import ConfigError, FollowupError
from events.schedule import zone
from events.store import database_url

DEFAULT_FILE = "config.toml"

T = TypeVar("T")


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///followup.db"
    busy_timeout: float = 5.0
    seed: bool = True


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    timezone: str = "Asia/Seoul"
    warnings: tuple[str, ...] = ()

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the config are taken from."""
        return self.path.parent if self.path is not None else Path.cwd()


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """The file to read, or None for the defaults; a named file must exist."""
    if explicit is not None:
        named, how = explicit, "--config"
    elif env.get("FOLLOWUP_CONFIG"):
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
    if env.get("FOLLOWUP_DATABASE_URL"):
        url = env["FOLLOWUP_DATABASE_URL"]
    reader.check("database.url", url, database_url)
    database = DatabaseConfig(
        url=url,
        busy_timeout=reader.get("database.busy_timeout", float, defaults.busy_timeout, _positive),
        seed=reader.get("database.seed", bool, defaults.seed),
    )
    timezone = reader.get("register.timezone", str, Config.timezone, zone)
    source = str(path) if path is not None else "configuration"
    if reader.problems:
        raise ConfigError(source, reader.problems)
    warnings = tuple(f"{source}: unknown key {key!r} is ignored" for key in reader.unknown())
    return Config(path=path, database=database, timezone=timezone, warnings=warnings)


def _positive(value: float) -> None:
    if value <= 0:
        raise ValueError("must be more than 0")


_TYPE_NAMES = {str: "a string", float: "a number", int: "a whole number", bool: "true or false"}


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
