"""followup ingest: the seed release reproduces the curated follow-ups; later releases link."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from events.extract import Proposal, propose
from events.reading import read_release
from events.seed import read_seed
from scheduler.cli import cli

SEED = Path(__file__).parents[3] / "shared" / "seed" / "000_e67213d092ea49a8.txt"
BUNDLED = Path(__file__).parents[2] / "events" / "data" / "jcec-23.txt"
RELEASE = SEED if SEED.exists() else BUNDLED


def run(config: Path, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"FOLLOWUP_CONFIG": str(config)},
                              input=stdin)


def config_file(tmp_path: Path, seed: bool) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite:///register.db"\nseed = {str(seed).lower()}\n')
    return path


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    return config_file(tmp_path, seed=False)


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    return config_file(tmp_path, seed=True)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_seed_release_reproduces_the_curated_follow_ups(empty: Path) -> None:
    proposed = as_json(run(empty, "ingest", str(RELEASE), "--published", "2019-01-24",
                           "--dry-run", "--json"))
    assert {"title", "kind", "earliest", "latest", "precision", "phrase", "location",
            "anchor", "paragraph", "sentence", "confidence"} <= proposed[0].keys()
    by_key = {p["key"]: p for p in proposed}
    curated = {entry["id"]: entry for entry in read_seed().followups}

    def shape(entry: dict[str, Any], anchor: str | None) -> tuple[object, ...]:
        return entry["window"], entry["location"], anchor

    stored = as_json(run(empty, "ingest", str(RELEASE), "--published", "2019-01-24",
                         "--json"))
    assert len(stored["created"]) == len(proposed)
    mine = {f["id"]: f for f in as_json(run(empty, "list", "--json"))}
    for followup_id, entry in curated.items():
        window = entry.get("when") or None
        candidates = [
            f for f in mine.values()
            if f["location"] == entry.get("location")
            and (f["anchor"] is None) == (entry.get("anchor") is None)
            and (window is None or f["window"] == window)
            and f["kind"] == entry["kind"]
            and f["paragraph"] == entry["paragraph"]
        ]
        assert candidates, f"nothing like {followup_id} was proposed"
        if entry.get("anchor"):
            anchor = mine[candidates[0]["anchor"]]
            target = curated[entry["anchor"]]
            assert (anchor["window"], anchor["location"]) == (target["when"],
                                                              target.get("location"))
            assert candidates[0]["window"] == "2019-H2"
    assert {p["window"] for p in proposed} <= {"2019-01-24", "2019-02..", "2019-H2",
                                                "undated"}
    # the past-tense background is not a follow-up
    for word in ("NEACAP", "Cooperation Center", "seven ongoing", "40%"):
        assert not any(word in p["title"] for p in proposed)
    assert by_key  # keys are readable ids
    assert mine["temm-21"]["sentence"].startswith("Close consultations")


def test_ingesting_the_same_release_again_changes_nothing(empty: Path) -> None:
    args = ("ingest", str(RELEASE), "--published", "2019-01-24")
    assert run(empty, *args).exit_code == 0
    before = as_json(run(empty, "list", "--json"))
    again = run(empty, *args)
    assert again.exit_code == 0
    assert "was ingested before: nothing changed" in again.stdout
    assert as_json(run(empty, "list", "--json")) == before


PREVIEW = b"""Press release, 18 October 2019

Preview of TEMM 21

1. The 21st Tripartite Environment Ministers Meeting (TEMM 21) will be held in Kitakyushu,
Japan, on November 23-24, 2019, bringing together the ministers of the three countries.
2. The ministers will adopt a joint communique and review progress on air quality work.
"""


def test_a_later_release_links_to_the_event_and_confirms_its_days(seeded: Path,
                                                                 tmp_path: Path) -> None:
    preview = tmp_path / "preview.txt"
    preview.write_bytes(PREVIEW)
    result = as_json(run(seeded, "ingest", str(preview), "--json"))
    assert result["linked"] == {"temm-21": "temm-21"}
    temm = as_json(run(seeded, "show", "temm-21", "--json"))
    assert (temm["status"], temm["start"], temm["end"]) == ("scheduled", "2019-11-23",
                                                            "2019-11-24")
    assert temm["history"][-1]["why"] == "ingested from 'Preview of TEMM 21' (2019-10-18)"
    ltp = as_json(run(seeded, "show", "ltp-report", "--json"))
    assert (ltp["earliest"], ltp["latest"]) == ("2019-11-16", "2019-12-01")
    assert len(as_json(run(seeded, "list", "--json"))) == 11  # no duplicate made


UNSURE = b"""Press release 2019-09-02

1. The Tripartite environment dialogue will be held in Japan in November 2019 at the
ministerial level.
"""


def test_an_uncertain_match_is_for_the_user_to_decide(seeded: Path, tmp_path: Path) -> None:
    release = tmp_path / "unsure.txt"
    release.write_bytes(UNSURE)
    refused = run(seeded, "ingest", str(release))
    assert refused.exit_code == 2
    assert ("may be the existing follow-up 'temm-21'" in refused.stderr
            and "--link tripartite-environment-dialogue=temm-21" in refused.stderr)
    assert len(as_json(run(seeded, "list", "--json"))) == 11
    linked = as_json(run(seeded, "ingest", str(release), "--link",
                         "tripartite-environment-dialogue=temm-21", "--json"))
    assert linked["linked"] == {"tripartite-environment-dialogue": "temm-21"}
    temm = as_json(run(seeded, "show", "temm-21", "--json"))
    assert (temm["window"], temm["status"]) == ("2019-11", "expected")


def test_an_uncertain_match_can_be_kept_apart(seeded: Path, tmp_path: Path) -> None:
    release = tmp_path / "unsure.txt"
    release.write_bytes(UNSURE)
    created = as_json(run(seeded, "ingest", str(release), "--new",
                          "tripartite-environment-dialogue", "--json"))["created"]
    assert created == ["tripartite-environment-dialogue"]
    assert as_json(run(seeded, "show", "temm-21", "--json"))["window"] == "2019-H2"


def test_html_with_scripts_and_styles(empty: Path, tmp_path: Path) -> None:
    text = RELEASE.read_text(encoding="utf-8")
    body = "".join(f"<p>{line}</p>" for line in text.splitlines())
    page = (f"<html><head><style>.x {{}}</style><script>var s = 'The ministers will meet on "
            f"January 30.';</script></head><body><nav>Menu</nav>{body}"
            "<footer>Copyright</footer></body></html>")
    release = tmp_path / "release.html"
    release.write_text(page, encoding="utf-8")
    from_html = as_json(run(empty, "ingest", str(release), "--published", "2019-01-24",
                            "--dry-run", "--json"))
    from_text = as_json(run(empty, "ingest", str(RELEASE), "--published", "2019-01-24",
                            "--dry-run", "--json"))
    assert [p["key"] for p in from_html] == [p["key"] for p in from_text]
    assert not any("January 30" in p["sentence"] for p in from_html)


def test_stdin(empty: Path) -> None:
    proposed = as_json(run(empty, "ingest", "-", "--published", "2019-01-24", "--dry-run",
                           "--json", stdin=RELEASE.read_bytes()))
    assert any(p["key"] == "temm-21" for p in proposed)


@pytest.mark.parametrize(
    ("content", "args", "says"),
    [
        (b"", [], "is empty"),
        (b"\x00\x01\x02binary\x00" * 100, [], "looks like a binary file"),
        (RELEASE.read_bytes(), [], "no publication date found in"),
    ],
)
def test_bad_input(empty: Path, tmp_path: Path, content: bytes, args: list[str],
                   says: str) -> None:
    release = tmp_path / "release.txt"
    release.write_bytes(content)
    result = run(empty, "ingest", str(release), *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert result.stderr.count("\n") == 1
    assert "--published" in result.stderr or "no publication" not in says


def test_a_release_without_follow_ups(empty: Path, tmp_path: Path) -> None:
    release = tmp_path / "release.txt"
    release.write_text("Press release 2019-01-24\n\n1. The ministers met in Seoul and "
                       "discussed many things of shared interest at length.\n")
    result = run(empty, "ingest", str(release))
    assert result.exit_code == 0
    assert "No follow-ups found" in result.stdout


def test_a_file_that_is_not_utf8_is_read_with_a_warning(empty: Path, tmp_path: Path) -> None:
    release = tmp_path / "release.txt"
    release.write_bytes("Press release 2019-01-24\n\n1. The ministers will meet in Tokyo in "
                        "March to review the caf\u00e9 programme and its results.\n"
                        .encode("latin-1"))
    result = run(empty, "ingest", str(release), "--dry-run", "--json")
    assert result.exit_code == 0
    assert "is not valid UTF-8" in result.stderr


def test_a_ten_megabyte_release_finishes(tmp_path: Path) -> None:
    text = RELEASE.read_text(encoding="utf-8")
    body = text[text.index("1. The 23rd"):text.index("* unofficial")]
    big = "\n".join(body for _ in range(10_000_000 // len(body.encode()) + 1)).encode()
    assert len(big) >= 10_000_000
    from datetime import date

    proposals: list[Proposal] = propose(read_release(big, "big"), date(2019, 1, 24))
    assert {p.key for p in proposals} >= {"temm-21", "working-level-meetings"}


def test_a_missing_file(empty: Path, tmp_path: Path) -> None:
    result = run(empty, "ingest", str(tmp_path / "nowhere.txt"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "nowhere.txt" in result.stderr


def test_a_dry_run_of_a_release_already_ingested_says_so(empty: Path) -> None:
    args = ("ingest", str(RELEASE), "--published", "2019-01-24")
    fresh = run(empty, *args, "--dry-run")
    assert fresh.exit_code == 0, fresh.output
    assert "was ingested before" not in fresh.stderr
    assert not (empty.parent / "register.db").exists()  # a dry run creates nothing
    assert run(empty, *args).exit_code == 0
    again = run(empty, *args, "--dry-run", "--json")
    assert again.exit_code == 0, again.output
    assert again.stderr == (f"note: {RELEASE} was ingested before: storing it again would "
                            "change nothing.\n")
    assert json.loads(again.stdout)  # the proposals are still shown


OUTCOME = b"""Press release, 6 November 2019

Outcome of the 24th Joint Committee

1. The 24th ROK-China Joint Committee on Environmental Cooperation was held in Beijing on
November 5, 2019, chaired by the directors-general of the two ministries.
2. The two sides agreed to hold the 25th Joint Committee in Seoul in 2020.
"""


def test_a_release_reporting_an_event_held_marks_its_follow_up_done(seeded: Path,
                                                                     tmp_path: Path) -> None:
    outcome = tmp_path / "outcome.txt"
    outcome.write_bytes(OUTCOME)
    proposed = as_json(run(seeded, "ingest", str(outcome), "--dry-run", "--json"))
    [report] = [p for p in proposed if p["done"]]
    assert (report["window"], report["location"]) == ("2019-11-05", "Beijing")
    result = as_json(run(seeded, "ingest", str(outcome), "--json"))
    assert result["completed"] == {report["key"]: "jcec-24"}
    assert len(result["created"]) == 1  # the 25th, a new promise
    jcec = as_json(run(seeded, "show", "jcec-24", "--json"))
    assert (jcec["status"], jcec["start"], jcec["end"]) == ("done", "2019-11-05", "2019-11-05")
    assert jcec["history"][-1]["why"] == ("ingested from 'Outcome of the 24th Joint Committee' "
                                         "(2019-11-06)")
    # what is tied to it follows it, as when it is confirmed by hand
    group = as_json(run(seeded, "show", "fine-dust-expert-group", "--json"))
    assert (group["earliest"], group["latest"]) == ("2019-11-04", "2019-11-06")


SHORT = b"""Press release, 6 November 2019

1. The 24th Joint Committee was held in Beijing on November 5, 2019, chaired by the
directors-general of the two ministries.
2. The Clean Air Forum took place in Busan on 4 November.
"""


def test_a_report_that_may_be_of_a_follow_up_is_asked_about(seeded: Path,
                                                            tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_bytes(SHORT)
    asked = run(seeded, "ingest", str(short))
    assert asked.exit_code == 2
    assert asked.stderr.count("\n") == 1
    assert "--link 24th-joint-committee=jcec-24" in asked.stderr
    assert as_json(run(seeded, "show", "jcec-24", "--json"))["status"] == "expected"
    kept = run(seeded, "ingest", str(short), "--new", "24th-joint-committee")
    assert kept.exit_code == 0, kept.output
    assert "Clean Air Forum" in kept.stderr  # reported done, but nothing kept matches it
    assert as_json(run(seeded, "show", "jcec-24", "--json"))["status"] == "expected"


def test_linking_a_report_marks_the_follow_up_done(seeded: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_bytes(SHORT)
    result = as_json(run(seeded, "ingest", str(short), "--link",
                         "24th-joint-committee=jcec-24", "--json"))
    assert result["completed"] == {"24th-joint-committee": "jcec-24"}
    assert as_json(run(seeded, "show", "jcec-24", "--json"))["status"] == "done"


PROGRAMME = b"""Media advisory, 29 May 2017

The 106th session of the International Labour Conference will be held in Geneva from 5 to
16 June 2017.

5 June: Opening ceremony (11.00 a.m.)
12 June: World Day Against Child Labour
"""


def test_parts_of_a_meeting_on_days_of_their_own_keep_them(empty: Path,
                                                          tmp_path: Path) -> None:
    programme = tmp_path / "programme.txt"
    programme.write_bytes(PROGRAMME)
    as_json(run(empty, "ingest", str(programme), "--json"))
    mine = {f["id"]: f for f in as_json(run(empty, "list", "--json"))}
    session = "106th-session-international-labour-conference"
    assert mine[session]["window"] == "2017-06-05..2017-06-16"
    for part, day in (("opening-ceremony", "2017-06-05"),
                      ("world-day-against-child-labour", "2017-06-12")):
        assert (mine[part]["anchor"], mine[part]["window"], mine[part]["status"]) == (
            session, day, "scheduled")
