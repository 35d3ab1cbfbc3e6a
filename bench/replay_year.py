"""``followup replay`` of a year, with registers of 1,000 and 10,000 follow-ups.

    python bench/replay_year.py [--sizes 1000,10000]

Each register is written directly in bulk (month windows over the year, a tenth undated, a
tenth confirmed), with one audience and a weekly digest. ``followup replay --json`` is timed
as a user runs it, a process from start to end. The peer is a process doing the notices'
own work once, without a ledger: it reads the follow-ups, plans each one's year with the same
pure planner, writes every notice and every weekly digest with the same templates, and
prints them as JSON lines. Target: 5 s or less at 1,000. Each figure comes with the CPU
time the process used, and the load average: on a machine shared with other work the seconds
stretch while the CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# Appended, not put first: with PYTHONPATH naming another tree, that tree is measured.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bench.support import FOLLOWUP, init, write_config
from events.model import FollowUp, Kind, Status
from events.store import Store
from events.window import Window

START = date(2019, 1, 24)
END = date(2020, 1, 23)

PEER = """
import json, sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from events.ledger import facts_of
from events.model import FollowUp
from events.planning import NoticeKind, plan
from events.store import Store
from scheduler.config import load_config
from scheduler.notices import (Templates, digest_sections, followup_context, is_late,
                               notice_context)

config = load_config(Path(sys.argv[1]), env={})
start = datetime.fromisoformat(sys.argv[2]).replace(tzinfo=UTC)
end = datetime.fromisoformat(sys.argv[3]).replace(tzinfo=UTC)
store = Store(config.database.url, base_dir=config.base_dir)
with store.transaction(write=False) as session:
    # What a notice says beyond the row (what waits on it, its notes), read as dispatch does.
    followups = list(session.scalars(
        select(FollowUp).options(selectinload(FollowUp.riders), selectinload(FollowUp.notes))
        .order_by(FollowUp.earliest, FollowUp.id)).unique())
templates = Templates(config.templates)
settings = config.plan
out = []
for audience in settings.audiences:
    contexts = {}
    for followup in followups:
        facts = facts_of(followup)
        for planned in plan(facts, settings.policy_for(facts), audience, start=start,
                            horizon=end, now=start):
            if followup.id not in contexts:
                contexts[followup.id] = followup_context(followup)
            out.append((planned.due, planned.key, planned.kind, followup.id))
    trigger = CronTrigger.from_crontab(audience.digest, timezone=audience.zone)
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        out.append((fire.astimezone(UTC), f"digest {fire}", NoticeKind.DIGEST, None))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    wanted = [f for f in followups if audience.wants(facts_of(f))]

    class Stand:
        def __init__(self, key, kind, due):
            self.key, self.kind, self.detail, self.due = key, kind, "", due

    for due, key, kind, followup_id in sorted(out, key=lambda o: o[:2]):
        context = notice_context(Stand(key, kind, due), audience, due)
        if followup_id is None:
            context.update(digest_sections(wanted, audience, due))
        else:
            context["followup"] = contexts[followup_id]
        # The log channel sends its text alone: that is all a rehearsal of it renders.
        rendered = templates.render(kind, context, ())
        print(json.dumps({"due": due.isoformat(), "key": key, "subject": rendered.subject,
                          "text": rendered.text}))
"""


def register(folder: Path, count: int) -> Path:
    url = f"sqlite:///{folder / 'register.db'}"
    config = write_config(folder, url, log=str(folder / "notices.log"))
    config.write_text(config.read_text().replace("seed = true", "seed = false")
                      .replace('digest = ""', 'digest = "0 9 * * mon"'))
    init(config)
    created = datetime.combine(START, datetime.min.time(), UTC)
    rows = []
    for index in range(count):
        month = 1 + index % 12
        window = Window.month(2019, month)
        row: dict[str, object] = {
            "id": f"f-{index:06d}", "title": f"Follow-up {index}", "kind": Kind.MEETING,
            "status": Status.EXPECTED, "parties": ["A", "B"], "earliest": window.earliest,
            "latest": window.latest, "precision": window.precision, "margin_days": 0,
            "tags": [], "revision": 1, "created_at": created, "updated_at": created,
            "sentence": f"The parties will meet in month {month}.",
        }
        if index % 10 == 1:
            undated = Window.undated()
            row.update(earliest=None, latest=None, precision=undated.precision)
        elif index % 10 == 2:
            day = date(2019, month, 10)
            row.update(status=Status.SCHEDULED, start_date=day, end_date=day, earliest=day,
                       latest=day, precision=Window.day(day).precision)
        rows.append(row)
    store = Store(url)
    with store.transaction(write=True) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(FollowUp), rows[start:start + 5000])
    store.dispose()
    return config


def children_cpu() -> float:
    """CPU seconds (user and system) of the processes this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds the command took, the CPU seconds it used, and how many notices it wrote
    (a JSON list, or lines)."""
    cpu, started = children_cpu(), time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    elapsed, cpu = time.perf_counter() - started, children_cpu() - cpu
    if result.stdout.startswith("["):
        return elapsed, cpu, len(json.loads(result.stdout))
    return elapsed, cpu, result.stdout.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    print(f"replay of a year ({START} to {END}), SQLite (s; peer: plan and write the same "
          "notices once, no ledger, a process of its own)")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="followup-bench-") as name:
            config = register(Path(name), size)
            env = {**os.environ, "FOLLOWUP_CONFIG": str(config)}
            ours, ours_cpu, notices = timed([str(FOLLOWUP), "replay", "--from", str(START), "--to",
                                   str(END), "--json"], env)
            last = datetime.combine(END + timedelta(days=1), datetime.min.time())
            peer, peer_cpu, written = timed([sys.executable, "-c", PEER, str(config),
                                   datetime.combine(START, datetime.min.time()).isoformat(),
                                   last.isoformat()], env)
            print(f"  {size:>7,} follow-ups   followup {ours:6.2f}   peer {peer:6.2f}   "
                  f"ratio {ours / peer:4.1f}   ({notices:,} notices; the peer "
                  f"{written:,})")
            print(f"  {'':>7}   CPU seconds   followup {ours_cpu:6.2f}   peer {peer_cpu:6.2f}   "
                  f"ratio {ours_cpu / peer_cpu:4.1f}")
    print(f"  load average {' '.join(f'{n:.1f}' for n in os.getloadavg())} on "
          f"{os.cpu_count()} CPUs: seconds stretch when the machine is busy, CPU less so")
    print("  target: 5 s or less at 1,000")


if __name__ == "__main__":
    main()
