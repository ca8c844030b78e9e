"""The seed's slack_handler.handle_message (plan 2.2), with robeing_client.

The seed wrote to PostgreSQL from the bot; here the same calls go to Robeing
Console's API. `log_conversation` only queues: the reply never waits for the
log, and a turn the server did not take yet is sent again until it is stored.

Run it against a console (`make run` prints a demo key):

    ROBEING_CONSOLE_URL=http://127.0.0.1:8000 ROBEING_API_KEY=<key> \\
        python clients/python/examples/slack_handler.py
"""

from __future__ import annotations

import asyncio
import os

from robeing_client import AsyncConversationLogger, AsyncSettingsManager, AsyncStatsManager

ROBEING_ID = os.environ.get("ROBEING_ID", "rb8001")  # rb8001, rb10508 등
CONSOLE = os.environ.get("ROBEING_CONSOLE_URL", "http://127.0.0.1:8000")
API_KEY = os.environ.get("ROBEING_API_KEY", "")

conversation_logger = AsyncConversationLogger(CONSOLE, API_KEY)
stats_manager = AsyncStatsManager(CONSOLE, API_KEY, ROBEING_ID)
settings_manager = AsyncSettingsManager(CONSOLE, API_KEY, ROBEING_ID)


async def get_user_id_from_slack(slack_user: str) -> str:
    # The console maps a Slack user id to its users itself: pass it through.
    return slack_user


async def process_with_llm(user_message: str) -> str:
    # The bot's own model call. The settings shape the answer (seed 4.2).
    style = await settings_manager.get_setting("user_preference", "response_style", "formal")
    return f"[{style}] {user_message}에 대한 답변입니다."


async def handle_message(event: dict) -> str:
    user_message = event["text"]
    user_id = await get_user_id_from_slack(event["user"])

    # 기존 처리
    response = await process_with_llm(user_message)

    # 신규: 대화 로그 저장
    await conversation_logger.log_conversation(
        robeing_id=ROBEING_ID,
        user_id=user_id,
        message=user_message,
        response=response,
        metadata={
            "slack_channel": event["channel"],
            "slack_ts": event["ts"],
            "thread_ts": event.get("thread_ts"),
        },
    )

    return response


async def on_task_success(task_type: str, difficulty: int, task_id: str) -> None:
    # The seed's 3.3 hook: a finished task earns experience.
    result = await stats_manager.on_task_success(task_type, difficulty, task_id=task_id)
    print(f"+{result.xp_awarded} XP (level {result.level_after})")


async def main() -> None:
    event = {"text": "내일 회의 몇 시예요?", "user": "U0DEMO001", "channel": "C0DEMO",
             "ts": "1733050000.000100"}  # fmt: skip
    print(await handle_message(event))
    await on_task_success("email", 3, task_id="T-example-1")
    await conversation_logger.close()
    await stats_manager.close()
    await settings_manager.close()


if __name__ == "__main__":
    asyncio.run(main())
