"""Turns at a model: a limited number of holders, admitted in the order they came."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from app.models.turns import Turns
from tests.support.waiting import until


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    until(condition, seconds, step=0.001, what="timed out")


def test_waiters_are_admitted_in_the_order_they_came_and_a_newcomer_queues_behind() -> None:
    turns = Turns(1)
    order: list[str] = []
    release_first = threading.Event()

    def take(name: str) -> None:
        with turns.turn():
            order.append(name)

    def first() -> None:
        with turns.turn():
            order.append("first")
            release_first.wait(5)
        # Asking again at once, while three wait: behind them, not ahead.
        take("first again")

    holder = threading.Thread(target=first)
    holder.start()
    _wait_until(lambda: turns.holders == 1)
    waiters = []
    for k, name in enumerate(("b", "c", "d")):
        t = threading.Thread(target=take, args=(name,))
        t.start()
        _wait_until(lambda k=k: turns.waiting == k + 1)
        waiters.append(t)
    release_first.set()
    for t in (holder, *waiters):
        t.join(5)
    assert order == ["first", "b", "c", "d", "first again"]
    assert turns.holders == 0
    assert turns.waiting == 0


def test_no_more_than_the_places_hold_at_once() -> None:
    turns = Turns(3)
    lock = threading.Lock()
    now, most = 0, 0

    def work() -> None:
        nonlocal now, most
        for _ in range(20):
            with turns.turn():
                with lock:
                    now += 1
                    most = max(most, now)
                time.sleep(0.0005)
                with lock:
                    now -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == 3
    assert turns.holders == 0


def test_a_place_is_given_back_when_the_block_raises() -> None:
    turns = Turns(1)
    with pytest.raises(RuntimeError), turns.turn():
        raise RuntimeError("boom")
    with turns.turn():
        assert turns.holders == 1


def test_places_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Turns(0)


def test_a_wait_cut_short_leaves_the_queue_and_loses_no_place() -> None:
    import signal

    turns = Turns(1)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with turns.turn():
            holding.set()
            done.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)

    def interrupt(signum: int, frame: object) -> None:
        raise TimeoutError

    main = threading.main_thread().ident
    assert main is not None
    assert threading.get_ident() == main

    def cut_short() -> None:  # once this thread waits, as Ctrl-C would
        _wait_until(lambda: turns.waiting == 1)
        signal.pthread_kill(main, signal.SIGALRM)

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        threading.Thread(target=cut_short).start()
        with pytest.raises(TimeoutError), turns.turn():
            pass  # never reached: the wait is cut short
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert turns.waiting == 0
    done.set()
    holder.join(5)
    with turns.turn():  # the holder's place was freed, not handed to the gone waiter
        assert turns.holders == 1
