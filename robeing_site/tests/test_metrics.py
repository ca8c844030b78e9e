"""/metrics through the test client: who may read it, and what it says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import UserFactory
from conversations.models import ConversationLog
from conversations.tests.factories import ConversationLogFactory
from jobs import services as job_services
from jobs.models import JobRun
from privacy import services as privacy_services
from privacy.models import ErasureRequest

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-the-test-suite"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_without_credentials_metrics_ask_for_a_bearer_token(client):
    response = client.get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"METRICS_TOKEN" in response.content


def test_a_wrong_token_is_refused(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403


def test_with_no_token_configured_no_bearer_is_accepted(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_staff_read_metrics_with_their_session_and_others_cannot(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/metrics").status_code == 200

    client.force_login(UserFactory(is_staff=False))
    assert client.get("/metrics").status_code == 403


def test_the_aggregation_lag_is_the_age_of_the_oldest_uncounted_turn(client, robeing):
    turn = ConversationLogFactory(robeing=robeing)  # on the backlog, like every new turn
    ConversationLog.objects.filter(id=turn.id).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )

    lag = value(scrape(client), "robeing_stats_aggregation_lag_seconds")

    assert 20 * 60 <= lag < 21 * 60


def test_no_backlog_means_no_lag(client, robeing):
    assert value(scrape(client), "robeing_stats_aggregation_lag_seconds") == 0


def test_each_jobs_last_success_and_overdue_state_are_published(client):
    run = job_services.job_run_start(job="stats.tasks.aggregate_conversation_stats")
    job_services.job_run_finish(run, outcome=JobRun.Outcome.OK, counts={"turns_counted": 4})
    JobRun.objects.filter(id=run.id).update(finished_at=timezone.now() - timedelta(minutes=30))

    samples = scrape(client)

    job = {"job": "aggregate_conversation_stats"}
    assert 30 * 60 <= value(samples, "robeing_job_seconds_since_success", **job) < 31 * 60
    assert value(samples, "robeing_job_overdue", **job) == 1
    assert value(samples, "robeing_job_interval_seconds", **job) == 300
    assert value(samples, "robeing_job_overdue", job="archive_conversations") == 0
    # Never succeeded: no last success to publish.
    assert value(samples, "robeing_job_seconds_since_success", job="archive_conversations") is None


def test_job_runs_are_counted_by_outcome_with_what_they_did(client):
    before = scrape(client)
    for outcome, counts in (("ok", {"turns_archived": 5000}), ("failed", {})):
        run = job_services.job_run_start(job="conversations.tasks.archive_conversations")
        job_services.job_run_finish(run, outcome=outcome, counts=counts)

    after = scrape(client)

    def grew(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    # Counted by this process, a command's: the series carry service="command".
    job = {"job": "archive_conversations", "service": "command"}
    assert grew("robeing_job_runs_total", outcome="ok", **job) == 1
    assert grew("robeing_job_runs_total", outcome="failed", **job) == 1
    assert grew("robeing_job_items_total", item="turns_archived", **job) == 5000
    assert grew("robeing_job_duration_seconds_count", outcome="ok", **job) == 1


def test_overdue_privacy_requests_are_counted(client):
    privacy_services.erasure_request_create(slack_user_id="U0LATE")
    ErasureRequest.objects.update(due_at=timezone.now() - timedelta(days=1))

    samples = scrape(client)

    assert value(samples, "robeing_privacy_requests_overdue", kind="erasure") == 1
    assert value(samples, "robeing_privacy_requests_overdue", kind="export") == 0


def test_the_broker_queue_length_is_read_from_the_broker(client):
    from celery import current_app

    from core.broker import broker_connection

    before = value(scrape(client), "robeing_celery_queue_length", queue="celery")
    # The suite's broker is the filesystem queue: it holds what is sent until a worker takes it.
    with broker_connection(seconds=1) as connection:
        for _ in range(3):
            current_app.send_task("jobs.tests.not_a_task", connection=connection)

    samples = scrape(client)

    assert value(samples, "robeing_scrape_broker_up") == 1
    assert value(samples, "robeing_celery_queue_length", queue="celery") == before + 3


def test_requests_are_timed_by_route_never_by_path(client, bot_client):
    bot_client.post("/api/v1/robeings/rb8001/conversations/", {"message": "안녕"}, format="json")

    samples = scrape(client)

    labels = [
        dict(key[1]) for key in samples if key[0] == "robeing_http_request_duration_seconds_count"
    ]
    route = {"view": "conversation-list", "method": "POST", "status": "201", "service": "command"}
    assert route in labels
    assert not any("rb8001" in label["view"] for label in labels)


def test_every_metric_the_readmes_alert_rules_name_is_published(client, robeing):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rules = readme.split("Alert rules to start with", 1)[1].split("```yaml", 1)[1].split("```")[0]
    named = set(re.findall(r"\b(robeing_[a-z_]+)", rules))
    job_services.job_run_finish(
        job_services.job_run_start(job="conversations.tasks.archive_conversations"),
        outcome=JobRun.Outcome.OK,
    )
    client.get("/admin/login/")  # one timed request at least

    published = {name for name, _ in scrape(client)}

    assert named and named <= published, named - published
