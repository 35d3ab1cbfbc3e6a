"""The Apprise channel against a real HTTP endpoint on loopback (Apprise's ``json://``),
alone and through the dispatcher and the ledger."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.errors import ConfigError
from events.ledger import PlanSettings
from events.model import Notice, NoticeStatus
from events.planning import Audience, Policy
from events.queue import Queue
from events.store import Store
from scheduler.apprise_channel import AppriseChannel
from scheduler.channels import GiveUp, Message, TryAgain, open_channels
from scheduler.config import AppriseChannelConfig, DeliveryConfig, parse_config
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates
from tests.system.daemons import (
    FOLLOWUP,
    SEED_DUE_AT_START,
    Daemon,
    daemons,  # noqa: F401 - the fixture
    ledger_rows,
    run_cli,
    wait_for,
    write_config,
)
from tests.system.seeded import Clock, seeded_store
from tests.system.smtp import free_port
from tests.system.webhook import Endpoint, webhook

DUE = datetime(2019, 11, 16, 0, 0, tzinfo=UTC)
#: Long enough for a loopback reply on a loaded machine; the timeout tests use SHORT.
TIMEOUT = 5.0
SHORT = 0.5
VARIABLE = "FOLLOWUP_DESK_APPRISE"


def message(key: str = "temm-21/lead/2019-11-16T00:00:00Z/desk/apprise") -> Message:
    return Message(key=key, kind="lead", audience="desk", followup_id="temm-21", due=DUE,
                   recipients=(), subject="TEMM 21: in 7 days", text="Plain words.\n",
                   html="<p>Plain <b>words</b>.</p>", late=False,
                   markdown="**TEMM 21** is in 7 days.\n")


def channel(*urls: str, timeout: float = TIMEOUT) -> AppriseChannel:
    problems: list[str] = []
    opened = AppriseChannel.open(
        AppriseChannelConfig(urls_env={"desk": VARIABLE}, timeout=timeout),
        {VARIABLE: " ".join(urls)}, problems)
    assert problems == []
    return opened


def test_title_and_markdown_body_arrive() -> None:
    with webhook() as endpoint:
        channel(endpoint.url()).send(message())
    [post] = endpoint.posts
    assert post.path == "/hook"
    assert post.body["title"] == "TEMM 21: in 7 days"
    assert post.body["message"] == "**TEMM 21** is in 7 days."  # Apprise trims the end


def test_without_a_markdown_form_the_text_goes() -> None:
    with webhook() as endpoint:
        channel(endpoint.url()).send(Message(**{**message().__dict__, "markdown": ""}))
    assert endpoint.posts[0].body["message"] == "Plain words."


def test_a_5xx_is_tried_again_with_the_reply() -> None:
    with webhook(Endpoint(status=503)) as endpoint, pytest.raises(
            TryAgain, match=r"^JSON \(127\.0\.0\.1\): the service answered 503: "):
        channel(endpoint.url()).send(message())


def test_a_4xx_is_given_up() -> None:
    with webhook(Endpoint(status=400)) as endpoint, pytest.raises(
            GiveUp, match=r"refused it with 400"):
        channel(endpoint.url()).send(message())


def test_no_reply_within_the_timeout_is_tried_again() -> None:
    with webhook(Endpoint(delay=3 * SHORT)) as endpoint, pytest.raises(
            TryAgain, match=r"no reply within 0\.5 s"):
        channel(endpoint.url(), timeout=SHORT).send(message())
    assert len(endpoint.posts) == 1  # it arrived, but the answer came too late


def test_an_address_that_cannot_be_reached_is_tried_again() -> None:
    with pytest.raises(TryAgain, match=r"cannot reach the service: .*Connection refused"):
        channel(f"json://127.0.0.1:{free_port()}/hook").send(message())


def test_a_retry_goes_only_to_the_urls_that_did_not_take_it() -> None:
    with webhook() as taking, webhook(Endpoint(status=502)) as failing:
        both = channel(taking.url("/a"), failing.url("/b"))
        with pytest.raises(TryAgain, match=r"\(1 of 2 took it\)"):
            both.send(message())
        failing.status = 200
        both.send(message())
        both.send(message("another"))  # a new notice goes to both again
    assert [p.body["message"] for p in taking.posts] == [message().markdown.strip()] * 2
    assert [p.status for p in failing.posts] == [502, 200, 200]


def test_the_log_shows_no_url_and_apprise_s_lines_stay_out_of_it(
        caplog: pytest.LogCaptureFixture) -> None:
    with webhook(Endpoint(status=503)) as endpoint:
        apprise = channel(endpoint.url("/secret-token"))
        with pytest.raises(TryAgain) as failure:
            apprise.send(message())
    assert "secret-token" not in str(failure.value)
    assert "secret-token" not in apprise.describe()
    assert not [r for r in caplog.records if r.name.startswith("apprise")]


def test_a_service_is_named_without_any_part_of_its_token() -> None:
    slack = channel("slack://T1234ABCD/B5678EFGH/SECRETSECRETSECRET", "json://127.0.0.1/hook")
    assert slack.describe() == (f"apprise (desk: Slack (URL 1 in {VARIABLE}), "
                                "JSON (127.0.0.1), timeout 5 s)")


# -- configuration ---------------------------------------------------------------------------

CONFIG = {
    "audiences": {"desk": {"channels": ["apprise"]}, "team": {"channels": ["apprise"]}},
    "channels": {"apprise": {"timeout": 3, "urls_env": {"desk": "DESK_URLS",
                                                         "team": "TEAM_URLS"}}},
}


def test_a_missing_variable_is_reported_with_the_other_problems() -> None:
    config = parse_config(CONFIG)
    with pytest.raises(ConfigError) as error:
        open_channels(config, {"DESK_URLS": "json://127.0.0.1/a nosuch://x/y"})
    problems = str(error.value)
    assert "channels.apprise.urls_env.team: the environment variable TEAM_URLS is not set" \
        in problems
    assert "URL 2 in DESK_URLS is not one Apprise can use (scheme 'nosuch')" in problems
    assert "x/y" not in problems


def test_urls_in_the_config_file_are_refused() -> None:
    data = {**CONFIG, "channels": {"apprise": {"urls": ["slack://a/b/c"], "urls_env": {
        "desk": "json://127.0.0.1/hook", "team": "TEAM_URLS"}}}}
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    problems = str(error.value)
    assert "channels.apprise.urls: Apprise URLs carry the services' tokens" in problems
    assert "channels.apprise.urls_env.desk: name the environment variable" in problems


def test_each_audience_on_apprise_names_its_variable() -> None:
    data = {"audiences": {"desk": {"channels": ["apprise"]}},
            "channels": {"apprise": {"urls_env": {"team": "TEAM_URLS"}}}}
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    problems = str(error.value)
    assert ('channels.apprise.urls_env.desk: audience desk uses the apprise channel; name '
            'the environment variable that holds its URLs, such as desk = '
            '"FOLLOWUP_DESK_APPRISE"') in problems
    assert "channels.apprise.urls_env.team: no audience team uses the apprise channel" \
        in problems


# -- through the dispatcher and the ledger ---------------------------------------------------

SETTINGS = PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul",
                                            channels=("apprise",),
                                            tags=frozenset({"jcec", "temm"})),),
                        default=Policy())
DELIVERY = DeliveryConfig(backoff_seconds=30, backoff_cap_seconds=600, max_attempts=3,
                          lease_seconds=60)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = seeded_store(tmp_path, SETTINGS)
    yield store
    store.dispose()


def dispatcher(store: Store, endpoint: Endpoint, clock: Clock,
               timeout: float = TIMEOUT) -> Dispatcher:
    """A dispatcher as the daemon keeps one: ``run`` is what its round job sends with."""
    return Dispatcher(store, SETTINGS, DELIVERY,
                      {"apprise": channel(endpoint.url(), timeout=timeout)},
                      Templates(), owner="test", clock=clock, rng=lambda: 1.0)


def ledger(store: Store, clock: Clock) -> list[Notice]:
    with store.transaction(write=False) as session:
        return Queue(session, clock()).listing()


def first_due(store: Store) -> datetime:
    return min(n.due for n in ledger(store, Clock(DUE)))


def test_due_notices_arrive_with_their_subject_and_markdown(store: Store) -> None:
    clock = Clock(first_due(store))
    with webhook() as endpoint:
        assert dispatcher(store, endpoint, clock).run() == 2
    sent = {n.subject: n for n in ledger(store, clock) if n.status is NoticeStatus.SENT}
    assert len(sent) == 2 and all(n.attempts == 1 for n in sent.values())
    assert {p.body["title"] for p in endpoint.posts} == set(sent)
    for post in endpoint.posts:
        body = post.body["message"]
        assert body.startswith("The window for **")
        assert "- **Next step:** " in body
        assert "record it: followup confirm " in body


def test_a_5xx_is_retried_then_delivered_once_the_endpoint_recovers(store: Store) -> None:
    clock = Clock(first_due(store))
    with webhook(Endpoint(status=503)) as endpoint:
        apprise = dispatcher(store, endpoint, clock)
        assert apprise.run() == 2
        failed = [n for n in ledger(store, clock) if n.status is NoticeStatus.FAILED]
        assert len(failed) == 2
        assert all(n.attempts == 1 and n.next_attempt == clock.now + timedelta(seconds=30)
                   for n in failed)
        assert all("the service answered 503" in (n.last_error or "") for n in failed)
        endpoint.status = 200
        clock.now += timedelta(seconds=10)
        assert apprise.run() == 0  # not yet: its backoff holds
        clock.now += timedelta(seconds=21)
        assert apprise.run() == 2
    rows = {n.key: n for n in ledger(store, clock)}
    assert all(rows[n.key].status is NoticeStatus.SENT and rows[n.key].attempts == 2
               and rows[n.key].last_error is None for n in failed)
    assert [p.status for p in endpoint.posts] == [503, 503, 200, 200]
    assert len({p.body["title"] for p in endpoint.accepted()}) == 2  # each once


def test_a_timeout_is_retried_never_lost_and_dead_after_the_last_attempt(
        store: Store) -> None:
    clock = Clock(first_due(store))
    with webhook(Endpoint(delay=3 * SHORT)) as endpoint:
        apprise = dispatcher(store, endpoint, clock, timeout=SHORT)
        for attempt in range(1, DELIVERY.max_attempts + 1):
            assert apprise.run() == 2
            tried = [n for n in ledger(store, clock) if n.attempts == attempt]
            assert len(tried) == 2
            final = attempt == DELIVERY.max_attempts
            assert all(n.status is (NoticeStatus.DEAD if final else NoticeStatus.FAILED)
                       for n in tried)
            clock.now += timedelta(seconds=DELIVERY.backoff_cap_seconds + 1)
    dead = [n for n in ledger(store, clock) if n.status is NoticeStatus.DEAD]
    assert len(dead) == 2
    assert dead[0].last_error == (
        "gave up after 3 attempts: JSON (127.0.0.1): no reply within 0.5 s (it may have "
        "arrived; sent again)")
    assert len(endpoint.posts) == 2 * DELIVERY.max_attempts


def test_a_4xx_makes_the_notice_dead_at_once_with_the_reply(store: Store) -> None:
    clock = Clock(first_due(store))
    with webhook(Endpoint(status=404)) as endpoint:
        dispatcher(store, endpoint, clock).run()
    dead = [n for n in ledger(store, clock) if n.status is NoticeStatus.DEAD]
    assert len(dead) == 2 and all(n.attempts == 1 for n in dead)
    assert "refused it with 404" in (dead[0].last_error or "")
    assert (dead[0].last_error or "").endswith("check the URL and its token")


# -- the daemon, as a real process -----------------------------------------------------------


def test_the_daemon_sends_through_apprise_and_check_names_a_missing_variable(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:  # noqa: F811
    config = write_config(tmp_path, channels='["apprise"]', extra=(
        '\n[channels.apprise]\ntimeout = 1\n[channels.apprise.urls_env]\n'
        f'desk = "{VARIABLE}"\n'))
    run_cli(config, "init")
    unset = run_cli(config, "check", check=False, env={VARIABLE: " "})
    missing = subprocess.run([str(FOLLOWUP), "check"], capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k != VARIABLE}
                             | {"FOLLOWUP_CONFIG": str(config)}, timeout=60)
    assert missing.returncode == 2
    assert f"channels.apprise.urls_env.desk: the environment variable {VARIABLE} is not set" \
        in missing.stderr
    assert "Traceback" not in missing.stderr
    assert unset.returncode == 2 and f"{VARIABLE} holds no URL" in unset.stderr

    with webhook() as endpoint:
        env = {VARIABLE: endpoint.url()}
        checked = run_cli(config, "check", env=env)
        assert "apprise (desk: JSON (127.0.0.1), timeout 1 s)" in checked.stdout
        daemon = daemons(config, env=env)
        daemon.wait_started()
        url = f"sqlite:///{tmp_path / 'register.db'}"
        wait_for(lambda: len(endpoint.posts) >= len(SEED_DUE_AT_START)
                 and not any(n.status is NoticeStatus.SENDING for n in ledger_rows(url)),
                 what=f"the notices due at start:\n{daemon.stderr}")
        assert daemon.stop() == 0
    sent = [n for n in ledger_rows(url) if n.status is NoticeStatus.SENT]
    assert {n.channel for n in sent} == {"apprise"}
    assert sorted(p.body["title"] for p in endpoint.posts) == sorted(n.subject for n in sent)
    assert {n.followup_id for n in sent} >= set(SEED_DUE_AT_START)
    assert endpoint.url() not in daemon.stderr
