"""Sensible defaults operators can edit in the admin: task types, level unlocks,
achievements, and the 5-minute aggregation schedule (seed 6.2) in
django-celery-beat's tables."""

from __future__ import annotations

from django.db import migrations

TASK_TYPES = [
    ("email", 20, "compute", "Read, sort or draft e-mail"),
    ("counseling", 30, "empathy", "Listen and support a person"),
    ("schedule", 15, "memory", "Arrange or recall a schedule"),
    ("team_report", 40, "leadership", "Summarise a team's work"),
    ("moderation", 25, "ethics", "Review content against the rules"),
    ("news", 10, "compute", "Collect and summarise news"),
]
FEATURES = [
    ("long_context", "긴 대화 맥락 (long context)", 3, "Context reads return more turns."),
    ("auto_summary", "자동 요약 (auto summary)", 5, "Summarise long threads."),
    ("proactive_alerts", "먼저 알림 (proactive alerts)", 8, "Start conversations on schedule."),
    ("team_insights", "팀 인사이트 (team insights)", 10, "Cross-channel team reports."),
]
ACHIEVEMENTS = [
    ("first_conversation", "첫 대화", "The first conversation turn."),
    ("conversations_100", "대화 100회", "100 conversation turns."),
    ("conversations_1000", "대화 1,000회", "1,000 conversation turns."),
    ("level_5", "레벨 5", "Reached level 5."),
    ("level_10", "레벨 10", "Reached level 10."),
    ("streak_10", "10연속 성공", "10 successful tasks in a row."),
    ("comeback", "재도전 성공", "A success right after a failure."),
]
AGGREGATION_TASK = "stats.tasks.aggregate_conversation_stats"
AGGREGATION_NAME = "Aggregate conversation stats (every 5 minutes)"


def seed(apps, schema_editor) -> None:
    TaskType = apps.get_model("stats", "TaskType")
    Feature = apps.get_model("stats", "Feature")
    Achievement = apps.get_model("stats", "Achievement")
    for name, base_xp, trains, description in TASK_TYPES:
        TaskType.objects.get_or_create(
            name=name, defaults={"base_xp": base_xp, "trains": trains, "description": description}
        )
    for key, name, min_level, description in FEATURES:
        Feature.objects.get_or_create(
            key=key, defaults={"name": name, "min_level": min_level, "description": description}
        )
    for key, name, description in ACHIEVEMENTS:
        Achievement.objects.get_or_create(
            key=key, defaults={"name": name, "description": description}
        )
    _schedule(apps)


def _schedule(apps) -> None:
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=AGGREGATION_NAME,
        defaults={
            "task": AGGREGATION_TASK,
            "interval": every_5_minutes,
            # A run missed while beat was down is not worth replaying: the next
            # run counts everything new anyway.
            "expire_seconds": 240,
        },
    )


def unseed(apps, schema_editor) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task=AGGREGATION_TASK
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
