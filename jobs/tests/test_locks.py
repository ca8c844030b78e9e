"""Named locks: one holder at a time, free again when the holder stops
renewing, and safe when many processes race for them."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jobs import services
from jobs.models import JobLock

pytestmark = pytest.mark.django_db


def test_a_second_caller_is_refused_while_the_first_holds_the_lock():
    with services.locked("archive-job") as lease:
        with pytest.raises(services.JobAlreadyRunning) as refused:
            with services.locked("archive-job"):
                pass  # pragma: no cover
        assert refused.value.holder == lease.token
    assert services.lock_holder(name="archive-job") is None


def test_different_names_do_not_block_each_other():
    with services.locked("archive:rb8001"), services.locked("archive:rb10508"):
        assert JobLock.objects.count() == 2


def test_a_lock_whose_holder_stopped_renewing_is_taken_over_after_it_expires():
    dead = services.lock_try_acquire(name="privacy-job", ttl=60)
    JobLock.objects.filter(name="privacy-job").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    taker = services.lock_try_acquire(name="privacy-job", ttl=60)
    assert taker is not None and taker.token != dead.token
    # The dead holder finds out when it next renews, and stops writing.
    with pytest.raises(services.LockLost):
        dead.renew(force=True)


def test_renewing_pushes_the_expiry_forward():
    lease = services.lock_try_acquire(name="stats-aggregation", ttl=600)
    JobLock.objects.filter(name="stats-aggregation").update(expires_at=timezone.now())
    lease.renew(force=True)
    assert JobLock.objects.get(name="stats-aggregation").expires_at > timezone.now() + timedelta(
        seconds=590
    )


def test_waiting_for_a_lock_gives_up_after_the_wait():
    services.lock_try_acquire(name="archive:rb8001", ttl=600)
    with pytest.raises(services.JobAlreadyRunning):
        with services.locked("archive:rb8001", wait_seconds=0.3):
            pass  # pragma: no cover


def test_the_lock_is_released_when_the_work_fails():
    with pytest.raises(RuntimeError), services.locked("archive-job"):
        raise RuntimeError("boom")
    assert not JobLock.objects.filter(name="archive-job").exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_of_many_threads_racing_for_a_lock_exactly_one_gets_it():
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def race() -> None:
        try:
            barrier.wait()
            lease = services.lock_try_acquire(name="archive-job", ttl=60)
            if lease is not None:
                winners.append(lease.token)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1
    assert services.lock_holder(name="archive-job") == winners[0]


def test_a_lock_held_by_a_dead_process_on_this_machine_is_taken_over_at_once():
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer exists
    JobLock.objects.create(
        name="archive-job",
        holder=f"{socket.gethostname()}:{gone.pid}:deadbeef",
        acquired_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=10),
    )

    lease = services.lock_try_acquire(name="archive-job")

    assert lease is not None
    assert services.lock_holder(name="archive-job") == lease.token


def test_a_lock_held_by_a_live_process_or_another_machine_is_not_taken_over():
    for holder in (f"{__import__('socket').gethostname()}:{os.getpid()}:x", "elsewhere:1:x"):
        JobLock.objects.update_or_create(
            name="archive-job",
            defaults={
                "holder": holder,
                "acquired_at": timezone.now(),
                "expires_at": timezone.now() + timedelta(minutes=10),
            },
        )
        assert services.lock_try_acquire(name="archive-job") is None
