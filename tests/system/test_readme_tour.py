"""The README's tour, run as written: every command of it, in its order, as a real process,
in a fresh folder with the shipped config.toml, after the activation it tells of (the venv's
``bin`` first on the PATH). The two that run until stopped (the daemon and the server) are
left to their own tests."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.system.daemons import FOLLOWUP

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RUN_UNTIL_STOPPED = {"daemon", "serve"}


def tour() -> list[list[str]]:
    found = re.search(r"^## A tour\n.*?^```sh\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
    assert found is not None, "the README has a tour"
    return [shlex.split(line, comments=True) for line in found.group(1).splitlines()
            if line.strip()]


def test_the_tour_works_as_written(tmp_path: Path) -> None:
    commands = tour()
    assert len(commands) > 20
    folder = tmp_path / "followup"
    folder.mkdir()
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    for name in ("events", "contrib"):  # the files the tour names, where it names them
        (folder / name).symlink_to(ROOT / name)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("FOLLOWUP_") or key == "FOLLOWUP_CACHE_DIR"}
    env["PATH"] = f"{FOLLOWUP.parent}{os.pathsep}{env.get('PATH', '')}"  # . .venv/bin/activate
    ran = 0
    for args in commands:
        assert args[0] == "followup", args
        if args[1] in RUN_UNTIL_STOPPED:
            continue
        result = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True,
                                timeout=120, check=False)
        shown = shlex.join(args)
        assert result.returncode == 0, f"{shown}\n{result.stderr}"
        assert "Traceback" not in result.stderr, shown
        assert not result.stderr.startswith("followup: "), f"{shown}\n{result.stderr}"
        ran += 1
    assert ran == len(commands) - 2
    assert (folder / "desk.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
