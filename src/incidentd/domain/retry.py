"""How long to wait before trying again, and when to stop: every retry policy of incidentd in one place.

A failure worth retrying (a job that raised, a provider that timed out) is tried again after a wait that
doubles from a first delay up to a cap. Each policy also says when to give up: after a number of attempts, so
that a broken integration ends as a failed job an operator can find, instead of retrying for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Backoff:
    """Waits that double from first_ms up to cap_ms; give up once max_attempts attempts have failed (None: the
    caller bounds the retries some other way, by time)."""

    first_ms: int
    cap_ms: int
    max_attempts: int | None

    def delay_ms(self, attempt: int) -> int:
        """The wait after failed attempt number `attempt` (1 for the first) before the next one."""
        return int(min(self.cap_ms, self.first_ms * 2 ** max(0, attempt - 1)))

    def exhausted(self, attempt: int) -> bool:
        """Whether failed attempt number `attempt` was the last one allowed."""
        return self.max_attempts is not None and attempt >= self.max_attempts


def fixed(interval_ms: int, max_attempts: int) -> Backoff:
    """The same wait after every failure."""
    return Backoff(interval_ms, interval_ms, max_attempts)


# Any job that raises: 1 s, 2 s, 4 s … capped at 5 minutes; after 25 attempts (about 1 h 45 min) it fails.
JOBS = Backoff(1000, 5 * MINUTE_MS, 25)
# Opening or resolving a PagerDuty incident: the same waits, about 40 minutes of PagerDuty outage.
PAGERDUTY = Backoff(1000, 5 * MINUTE_MS, 12)
# Sending a channel its activation code: a minute apart, ten times.
ACTIVATION_CODE = fixed(MINUTE_MS, 10)
# A page to one channel: retried every RetryIntervalInMinutes of its engagement plan (1 when absent or 0), 60
# times: with the default interval, an hour of provider outage before the page to that channel gives up.
DEFAULT_PAGE_RETRY_MINUTES = 1
PAGE_DELIVERY_ATTEMPTS = 60
# A chat or webhook notice doubles from [notifications] retry_seconds to at most this, and stops by time
# ([notifications] retry_for_seconds) rather than by count.
NOTICE_MAX_DELAY_MS = 5 * MINUTE_MS


def page_delivery(retry_minutes: int | None) -> Backoff:
    """The policy of a page to one channel, from its engagement plan's RetryIntervalInMinutes."""
    return fixed((retry_minutes or DEFAULT_PAGE_RETRY_MINUTES) * MINUTE_MS, PAGE_DELIVERY_ATTEMPTS)


def notice(retry_seconds: float) -> Backoff:
    """The waits of a notice's deliveries; the number of attempts is bounded by time instead (see notify)."""
    first_ms = int(retry_seconds * 1000)
    return Backoff(first_ms, max(first_ms, NOTICE_MAX_DELAY_MS), max_attempts=None)
