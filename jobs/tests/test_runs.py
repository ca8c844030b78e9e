"""The job-run history: every run of a scheduled job, how it ended and what it did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from conversations import services as conversation_services
from conversations.schemas import TurnIn
from jobs import selectors
from jobs import services as job_services
from jobs.models import JobRun
from jobs.tasks import REFUSED, maintenance_task
from stats.tasks import aggregate_conversation_stats

pytestmark = pytest.mark.django_db
AGGREGATION = "stats.tasks.aggregate_conversation_stats"
RUNS = "/admin/jobs/jobrun/"

# A test job through the same decorator as the real ones: it fails with a
# lost connection as many times as `flaky_failures` says, then succeeds.
flaky_failures = {"left": 0}


@maintenance_task(name="jobs.tests.flaky_job", acks_late=False)
def flaky_job() -> dict[str, int]:
    if flaky_failures["left"]:
        flaky_failures["left"] -= 1
        raise OperationalError("server closed the connection unexpectedly")
    return {"requests_answered": 3}


@maintenance_task(name="jobs.tests.broken_job", acks_late=False)
def broken_job() -> dict[str, int]:
    raise ValueError("the archive manifest is not valid JSON")


def runs_of(job: str) -> list[JobRun]:
    return list(JobRun.objects.filter(job=job).order_by("id"))


def test_a_successful_aggregation_records_what_it_counted(robeing):
    conversation_services.conversation_turns_record(
        robeing_id="rb8001", turns=[TurnIn(message=f"안녕 {i}") for i in range(7)]
    )

    aggregate_conversation_stats.apply()

    [run] = runs_of(AGGREGATION)
    assert run.outcome == JobRun.Outcome.OK
    assert run.counts == {"turns_counted": 7, "batches": 1}
    assert run.finished_at >= run.started_at
    assert run.trigger == "celery" and run.error == ""


def test_a_run_that_finds_the_job_locked_is_recorded_as_refused(robeing):
    with job_services.locked("stats-aggregation"):
        result = aggregate_conversation_stats.apply().result

    [run] = runs_of(AGGREGATION)
    assert result == REFUSED
    assert run.outcome == JobRun.Outcome.LOCKED
    assert "stats-aggregation" in run.error


def test_a_failing_run_is_recorded_with_its_error():
    outcome = broken_job.apply()

    [run] = runs_of("jobs.tests.broken_job")
    assert outcome.failed()
    assert run.outcome == JobRun.Outcome.FAILED
    # Its type and where it was raised; the message stays in the log.
    assert run.error.startswith("ValueError at test_runs.py:")
    assert "manifest" not in run.error


def test_transient_failures_are_recorded_as_retried_and_then_the_success():
    flaky_failures["left"] = 2

    flaky_job.apply()

    runs = runs_of("jobs.tests.flaky_job")
    assert [(run.outcome, run.attempt) for run in runs] == [
        ("retried", 0),
        ("retried", 1),
        ("ok", 2),
    ]
    assert runs[0].error.startswith("OperationalError at test_runs.py:")
    assert runs[-1].counts == {"requests_answered": 3}


def test_the_last_retry_that_fails_is_recorded_as_failed():
    flaky_failures["left"] = 99

    flaky_job.apply()

    runs = runs_of("jobs.tests.flaky_job")
    flaky_failures["left"] = 0
    assert [run.outcome for run in runs] == ["retried"] * 5 + ["failed"]


def test_a_run_by_hand_is_recorded_beside_beats_runs(robeing, capsys):
    from django.core.management import call_command

    conversation_services.conversation_turns_record(
        robeing_id="rb8001", turns=[TurnIn(message="hello")]
    )
    call_command("aggregate_stats")

    [run] = runs_of(AGGREGATION)
    assert (run.trigger, run.outcome, run.counts) == ("command", "ok", {"turns_counted": 1})


def test_a_run_whose_worker_died_is_closed_as_failed_by_the_next_run():
    dead = job_services.job_run_start(job="jobs.tests.flaky_job")
    JobRun.objects.filter(id=dead.id).update(started_at=timezone.now() - timedelta(hours=2))

    job_services.job_run_start(job="jobs.tests.flaky_job", lost_after_seconds=3600)

    dead.refresh_from_db()
    assert dead.outcome == JobRun.Outcome.FAILED
    assert "worker died" in dead.error


def test_the_history_is_bounded_but_keeps_the_last_success(settings):
    settings.JOB_RUN_HISTORY_PER_JOB = 3
    with job_services.job_run_recorded("jobs.tests.flaky_job"):
        pass
    success = JobRun.objects.get()
    for _ in range(5):
        with pytest.raises(ValueError), job_services.job_run_recorded("jobs.tests.flaky_job"):
            raise ValueError("boom")

    kept = runs_of("jobs.tests.flaky_job")
    assert len(kept) == 4  # the newest three, and the one success
    assert kept[0] == success
    assert [run.outcome for run in kept[1:]] == ["failed"] * 3


def test_a_job_without_success_for_twice_its_interval_is_overdue():
    # The aggregation runs every 5 minutes: 11 minutes since its success is overdue.
    run = job_services.job_run_start(job=AGGREGATION)
    job_services.job_run_finish(run, outcome=JobRun.Outcome.OK)
    JobRun.objects.filter(id=run.id).update(finished_at=timezone.now() - timedelta(minutes=11))
    [status] = [s for s in selectors.job_statuses() if s.job == AGGREGATION]

    assert status.interval == timedelta(minutes=5)
    assert status.overdue(timezone.now())
    assert not status.overdue(timezone.now() - timedelta(minutes=2))


def test_the_nightly_archive_is_due_every_24_hours_and_a_disabled_job_is_never_overdue():
    archive = PeriodicTask.objects.get(task="conversations.tasks.archive_conversations")
    [status] = [s for s in selectors.job_statuses() if s.job == archive.task]
    assert status.interval == timedelta(hours=24)
    assert status.last_run is None and not status.overdue(timezone.now())

    PeriodicTask.objects.filter(task=AGGREGATION).update(enabled=False)
    job_services.job_run_start(job=AGGREGATION)
    JobRun.objects.update(started_at=timezone.now() - timedelta(days=3))
    [aggregation] = [s for s in selectors.job_statuses() if s.job == AGGREGATION]
    assert not aggregation.overdue(timezone.now())


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


def test_operators_see_each_jobs_state_with_failures_marked_red(root):
    broken_job.apply()
    run = job_services.job_run_start(job=AGGREGATION)
    job_services.job_run_finish(run, outcome=JobRun.Outcome.OK, counts={"turns_counted": 12})
    JobRun.objects.filter(id=run.id).update(
        started_at=timezone.now() - timedelta(hours=1),
        finished_at=timezone.now() - timedelta(hours=1),
    )

    page = root.get(RUNS, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert page.index("broken_job") < page.index("aggregate_conversation_stats")  # newest first
    assert "✖ failed" in page and "#c62828" in page
    assert "turns_counted 12" in page
    assert "Aggregate conversation stats (every 5 minutes)" in page
    assert "overdue: no success within twice its interval" in page
    assert "last run failed" in page


def test_the_run_list_narrows_to_one_job(root):
    broken_job.apply()
    flaky_job.apply()

    page = root.get(RUNS, {"job__exact": "jobs.tests.flaky_job"}).content.decode()

    assert "flaky_job" in page
    assert "ValueError at" not in page


def test_the_admin_home_links_to_the_runs_and_says_how_many_jobs_need_attention(root):
    broken_job.apply()

    english = root.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = root.get("/admin/").content.decode()

    assert "1 job is failing or overdue" in english
    assert f'href="{RUNS}"' in english
    assert "작업 실행 기록" in korean
