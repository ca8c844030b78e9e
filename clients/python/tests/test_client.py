"""robeing_client against the live server: what a bot would see."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from robeing_client import AuthenticationError, ConversationLogger, SettingsManager, StatsManager

from accounts import services as account_services
from conversations.models import ConversationLog
from core.tests import live
from settings_app import services as settings_services

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def stored(robeing_id: str = "rb8001") -> int:
    return ConversationLog.objects.filter(robeing_id=robeing_id).count()


def test_a_turn_logged_the_seeds_way_is_in_the_log_after_flush(server, key):
    with ConversationLogger(server.url, key) as conversation_logger:
        conversation_logger.log_conversation(
            "rb8001", "U0CLIENT1", "내일 회의 몇 시예요?", "오전 10시입니다.",
            metadata={"channel": "C0TEAM", "ts": "1733050000.000100", "thread_ts": "1733040000.000001"},
        )  # fmt: skip
        assert conversation_logger.flush(10)

    turn = ConversationLog.objects.get(robeing_id="rb8001")
    assert (turn.channel_id, turn.thread_ts, turn.slack_user_id) == (
        "C0TEAM",
        "1733040000.000001",
        "U0CLIENT1",
    )
    assert turn.event_id == "C0TEAM:1733050000.000100"  # a Slack retry of it is a duplicate
    assert conversation_logger.counters.sent == 1


def test_the_same_slack_message_twice_is_stored_once(server, key):
    with ConversationLogger(server.url, key) as conversation_logger:
        for _ in range(2):
            conversation_logger.log_conversation(
                "rb8001", "U1", "hi", "hello", {"channel": "C1", "ts": "1.1"}
            )
        conversation_logger.flush(10)

    assert stored() == 1
    assert (conversation_logger.counters.sent, conversation_logger.counters.duplicates) == (1, 1)


def test_log_conversation_returns_at_once_while_the_server_is_down_and_loses_nothing(server, key):
    conversation_logger = ConversationLogger(server.url, key, flush_interval=0.1)
    try:
        server.stop()
        started = time.monotonic()
        for n in range(50):
            conversation_logger.log_conversation(
                "rb8001", "U1", f"질문 {n}", "답", {"event_id": f"Ev{n}"}
            )
        assert time.monotonic() - started < 0.5  # the reply never waited
        time.sleep(1.5)  # the logger tries, fails and backs off
        assert stored() == 0

        server.start()
        assert conversation_logger.flush(60)
    finally:
        conversation_logger.close(5)

    assert stored() == 50
    assert conversation_logger.counters.retried >= 1


def test_two_hundred_threads_logging_at_once_lose_nothing(server, key):
    conversation_logger = ConversationLogger(server.url, key)

    def bot_thread(number: int) -> None:
        for turn in range(5):
            conversation_logger.log_conversation("rb8001", "U1", f"{number}-{turn}", "ok")

    threads = [threading.Thread(target=bot_thread, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert conversation_logger.close(60)

    assert stored() == 1000
    assert conversation_logger.counters.sent == 1000


def test_a_full_queue_drops_and_counts_by_its_policy(key):
    # Nothing listens there: every turn stays queued.
    nowhere = "http://127.0.0.1:9"
    oldest = ConversationLogger(nowhere, key, max_queue=5, batch_size=1000, flush_interval=60)
    newest = ConversationLogger(nowhere, key, max_queue=5, batch_size=1000, flush_interval=60,
                                on_full="drop_newest")  # fmt: skip
    for n in range(8):
        oldest.log_conversation("rb8001", None, f"m{n}", "", {"event_id": f"E{n}"})
        newest.log_conversation("rb8001", None, f"m{n}", "", {"event_id": f"E{n}"})

    assert oldest.counters.dropped == newest.counters.dropped == 3
    assert [turn.body["event_id"] for turn in oldest._queue] == ["E3", "E4", "E5", "E6", "E7"]
    assert [turn.body["event_id"] for turn in newest._queue] == ["E0", "E1", "E2", "E3", "E4"]
    assert not oldest.close(0.2) and not newest.close(0.2)  # nothing could be sent


def test_a_bot_that_exits_without_close_still_sends_its_turns(server, key):
    script = textwrap.dedent(f"""
        from robeing_client import ConversationLogger
        log = ConversationLogger({server.url!r}, {key!r}, flush_interval=30)
        for n in range(3):
            log.log_conversation("rb8001", "U1", f"bye {{n}}", "", {{"event_id": f"Exit{{n}}"}})
    """)  # exits at once: only the atexit hook can send them
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)

    assert stored() == 3


def test_a_revoked_key_raises_authentication_error_saying_so(server, key):
    stats = StatsManager(server.url, key, "rb8001")
    assert stats.get_stats().robeing_id == "rb8001"
    account_services.api_key_revoke(prefix=key.partition(".")[0])

    time.sleep(0.1)
    with pytest.raises(AuthenticationError, match="revoked"):
        StatsManager(server.url, key, "rb8001").get_stats()


def test_a_task_success_earns_experience(server, key):
    stats = StatsManager(server.url, key, "rb8001")
    before = stats.initialize_stats().experience

    result = stats.on_task_success("email", 3, task_id="T-client-1")
    again = stats.on_task_success("email", 3, task_id="T-client-1")  # a resend: no double XP

    assert result.xp_awarded > 0
    assert again.xp_awarded == result.xp_awarded
    assert stats.get_stats().experience == before + result.xp_awarded


def test_an_operators_change_reaches_get_setting_after_the_interval_and_not_before(server, key):
    # Long enough that the operator's write below surely ends within it on a
    # loaded machine (1 s was not always).
    interval = 5.0
    manager = SettingsManager(server.url, key, "rb8001", revalidate_seconds=interval)
    first_read = time.monotonic()
    assert manager.get_setting("user_preference", "language") == "ko"
    assert manager.get_setting("system", "pii_masking") is True
    assert manager.requests == 1

    settings_services.settings_patch(
        robeing_id="rb8001", category="user_preference", patch={"language": "en"},
        actor=settings_services.Actor(key_prefix="operator"),
    )  # fmt: skip
    assert manager.get_setting("user_preference", "language") == "ko"  # within the interval
    assert manager.requests == 1  # and no request was made for it

    time.sleep(max(0.0, first_read + interval + 0.1 - time.monotonic()))
    assert manager.get_setting("user_preference", "language") == "en"
    assert manager.get_setting("user_preference", "nope", default="x") == "x"
    assert manager.requests == 2


def test_update_setting_patches_one_key_and_is_read_back(server, key):
    manager = SettingsManager(server.url, key, "rb8001")

    values = manager.update_setting("skill", "news", {"summary_length": 5})

    assert values["news"]["summary_length"] == 5
    assert manager.get_setting("skill_settings", "news")["summary_length"] == 5


def test_the_async_twins_log_report_and_read_settings(server, key):
    import asyncio

    from robeing_client import AsyncConversationLogger, AsyncSettingsManager, AsyncStatsManager

    async def bot() -> tuple[bool, int, str]:
        async with AsyncConversationLogger(server.url, key) as conversation_logger:
            for n in range(30):
                await conversation_logger.log_conversation("rb8001", "U1", f"비동기 {n}", "네")
            flushed = await conversation_logger.flush(20)
        stats = AsyncStatsManager(server.url, key, "rb8001")
        result = await stats.on_task_success("email", 2, task_id="T-async-1")
        await stats.close()
        manager = AsyncSettingsManager(server.url, key, "rb8001")
        language = await manager.get_setting("user_preference", "language")
        await manager.close()
        return flushed, result.xp_awarded, language

    flushed, xp, language = asyncio.run(bot())

    assert flushed and stored() == 30
    assert xp > 0 and language == "ko"


class LosesFirstAnswer:
    """A reverse proxy in front of the server that forwards every request but
    answers the first POST with a 500, as a load balancer that lost the
    server's answer would: the turns are stored, the client cannot know it."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import urllib.request

        self.posts = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                forwarded = urllib.request.Request(
                    upstream + self.path, data=body, method="POST",
                    headers={name: value for name, value in self.headers.items()
                             if name.lower() in ("authorization", "content-type")},
                )  # fmt: skip
                with urllib.request.urlopen(forwarded, timeout=30) as answer:
                    status, payload = answer.status, answer.read()
                proxy.posts += 1
                if proxy.posts == 1:
                    status, payload = 500, b'{"code":"server_error","message":"lost"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_a_500_after_the_server_stored_the_batch_is_retried_once_and_stored_once(server, key):
    proxy = LosesFirstAnswer(server.url)
    try:
        with ConversationLogger(proxy.url, key) as conversation_logger:
            for n in range(3):
                conversation_logger.log_conversation(
                    "rb8001", "U1", f"m{n}", "", {"event_id": f"L{n}"}
                )
            assert conversation_logger.flush(30)
    finally:
        proxy.httpd.shutdown()

    assert proxy.posts == 2  # the lost answer, then the retry
    assert stored() == 3
    counters = conversation_logger.counters
    assert (counters.retried, counters.sent, counters.duplicates) == (1, 0, 3)


def test_a_forked_child_sends_its_own_turns_and_not_the_parents(server, key):
    conversation_logger = ConversationLogger(server.url, key, flush_interval=30)
    conversation_logger.log_conversation("rb8001", "U1", "parent", "", {"event_id": "Fork-parent"})
    child = os.fork()
    if child == 0:  # the child: its own queue and thread, then out without pytest's exit
        conversation_logger.log_conversation(
            "rb8001", "U1", "child", "", {"event_id": "Fork-child"}
        )
        os._exit(0 if conversation_logger.close(20) else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert conversation_logger.close(20)

    assert sorted(ConversationLog.objects.values_list("event_id", flat=True)) == [
        "Fork-child",
        "Fork-parent",
    ]


def test_the_seeds_slack_handler_example_runs_against_the_server(server, key):
    example = live.ROOT / "clients" / "python" / "examples" / "slack_handler.py"
    env = {**os.environ, "ROBEING_CONSOLE_URL": server.url, "ROBEING_API_KEY": key}

    run = subprocess.run([sys.executable, str(example)], env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert "[formal] 내일 회의 몇 시예요?에 대한 답변입니다." in run.stdout
    turn = ConversationLog.objects.get(robeing_id="rb8001")
    assert (turn.channel_id, turn.event_id) == ("C0DEMO", "C0DEMO:1733050000.000100")
    assert "XP (level" in run.stdout


def test_update_setting_after_someone_else_changed_them_re_reads_and_succeeds(server, key):
    manager = SettingsManager(server.url, key, "rb8001")
    assert manager.get_setting("system", "debug_mode") is False  # holds ETag "0"
    settings_services.settings_patch(
        robeing_id="rb8001", category="system_settings", patch={"max_memory_size": 40},
        actor=settings_services.Actor(key_prefix="operator"),
    )  # fmt: skip

    values = manager.update_setting("system", "debug_mode", True)  # a 412 first, then again

    assert values["debug_mode"] is True and values["max_memory_size"] == 40
    assert manager.requests == 2  # the first read and the re-read after the 412


def test_the_package_installs_from_its_folder_and_imports_without_django(tmp_path):
    folder = live.ROOT / "clients" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(tmp_path / "site"), str(folder)],
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    check = (
        f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); import robeing_client; "
        "print(robeing_client.__file__); assert 'django' not in sys.modules"
    )
    run = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(str(tmp_path / "site"))


def test_refused_input_raises_validation_error_with_the_servers_field_paths(server, key):
    from robeing_client import ValidationError

    with pytest.raises(ValidationError) as refused:
        StatsManager(server.url, key, "rb8001").on_task_success("email", 99, task_id="T-bad")

    assert refused.value.status == 400
    assert [error.field for error in refused.value.errors] == ["difficulty"]


def test_another_robeings_stats_are_permission_denied(server, key, other_robeing):
    from robeing_client import PermissionDenied

    with pytest.raises(PermissionDenied):
        StatsManager(server.url, key, other_robeing.robeing_id).get_stats()


def test_a_503_with_retry_after_is_waited_for_as_the_server_asks():
    import httpx
    from robeing_client import ServerError, transport

    answer = httpx.Response(503, headers={"Retry-After": "5"}, json={"message": "database away"})
    with pytest.raises(ServerError) as unavailable:
        transport.raise_for_answer(answer)

    assert transport.backoff(1, unavailable.value) == 5
