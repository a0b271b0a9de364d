"""The retry policies: waits that double to a cap, and when each one gives up."""

from __future__ import annotations

from incidentd.domain import retry


def test_job_waits_double_from_a_second_to_five_minutes() -> None:
    """A failed job is tried again after 1 s, 2 s, 4 s … and never waits more than 5 minutes."""
    assert [retry.JOBS.delay_ms(n) for n in (1, 2, 3, 9, 10, 24)] == [1000, 2000, 4000, 256_000, 300_000, 300_000]


def test_a_policy_gives_up_at_its_last_attempt() -> None:
    """The 25th failure of a job is its last; PagerDuty stops after 12, an activation code after 10."""
    assert not retry.JOBS.exhausted(24) and retry.JOBS.exhausted(25)
    assert not retry.PAGERDUTY.exhausted(11) and retry.PAGERDUTY.exhausted(12)
    assert not retry.ACTIVATION_CODE.exhausted(9) and retry.ACTIVATION_CODE.exhausted(10)


def test_a_page_retries_at_its_plans_interval() -> None:
    """A page to a channel waits RetryIntervalInMinutes between attempts, one minute when it is absent or 0."""
    assert retry.page_delivery(5).delay_ms(1) == retry.page_delivery(5).delay_ms(7) == 300_000
    assert retry.page_delivery(None).delay_ms(3) == retry.page_delivery(0).delay_ms(1) == 60_000
    assert retry.page_delivery(None).exhausted(60) and not retry.page_delivery(None).exhausted(59)


def test_a_notice_doubles_from_its_setting_up_to_five_minutes_or_the_setting() -> None:
    """Notices double from retry_seconds; the cap is 5 minutes, or retry_seconds itself when that is longer."""
    assert [retry.notice(0.5).delay_ms(n) for n in (1, 2, 3)] == [500, 1000, 2000]
    assert retry.notice(60).delay_ms(10) == 300_000
    assert retry.notice(600).delay_ms(3) == 600_000
