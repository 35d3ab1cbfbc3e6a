"""What a failed Apprise send comes to, from the lines its plugin logged."""

from __future__ import annotations

import logging

import pytest

from scheduler.apprise_channel import Failure, judge, split_urls

W, D = logging.WARNING, logging.DEBUG
REFUSED = ("Socket Exception: HTTPConnectionPool(host='127.0.0.1', port=1): Max retries "
           "exceeded with url: /hook (Caused by NewConnectionError(\"HTTPConnection(host="
           "'127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] "
           "Connection refused\"))")


@pytest.mark.parametrize(("lines", "expected"), [
    ([(W, "Failed to send JSON POST notification: Servers are overloaded., error=503.")],
     Failure(False, "the service answered 503: Failed to send JSON POST notification: "
                    "Servers are overloaded.")),
    ([(W, "Failed to send Slack notification: Too Many Requests, error=429.")],
     Failure(False, "the service answered 429: Failed to send Slack notification: "
                    "Too Many Requests")),
    ([(W, "Failed to send JSON POST notification: Bad Request., error=400."),
      (D, "Response Details:\r\nb''")],
     Failure(True, "the service refused it with 400: Failed to send JSON POST "
                   "notification: Bad Request.")),
    ([(W, "Failed to send Telegram notification: Unauthorized., error=401.")],
     Failure(True, "the service refused it with 401: Failed to send Telegram "
                   "notification: Unauthorized.; check the URL and its token")),
    ([(W, "A Connection error occurred sending JSON notification to 127.0.0.1."),
      (D, "Socket Exception: HTTPConnectionPool(host='127.0.0.1', port=9): Read timed out. "
          "(read timeout=2.0)")],
     Failure(False, "no reply within 2 s (it may have arrived; sent again)")),
    ([(W, "A Connection error occurred sending JSON notification to 127.0.0.1."),
      (D, REFUSED)],
     Failure(False, "cannot reach the service: [Errno 111] Connection refused")),
    ([(W, "There are no valid targets to notify.")],
     Failure(False, "There are no valid targets to notify.")),
    ([], Failure(False, "the service did not take it")),
])
def test_a_failure_is_judged_by_what_the_plugin_said(
        lines: list[tuple[int, str]], expected: Failure) -> None:
    assert judge(False, lines, 2.0) == expected


def test_a_send_that_worked_is_no_failure_whatever_was_logged() -> None:
    assert judge(True, [(W, "error=500")], 2.0) is None


@pytest.mark.parametrize(("value", "urls"), [
    ("json://a/b", ["json://a/b"]),
    ("json://a/b, slack://x/y/z\n tgram://t/c ", ["json://a/b", "slack://x/y/z", "tgram://t/c"]),
    ("  ", []),
])
def test_urls_are_split_as_apprise_splits_them(value: str, urls: list[str]) -> None:
    assert split_urls(value) == urls
