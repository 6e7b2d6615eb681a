"""The kernel's slim channels: a reply reaches a waiting requester once, never a departed one."""

from __future__ import annotations

import trio

from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Inbox, Reply


async def _with_clock(body: object) -> None:
    clock = VirtualClock()
    async with trio.open_nursery() as nursery:
        await nursery.start(clock.run)
        await body(clock, nursery)  # type: ignore[operator]
        nursery.cancel_scope.cancel()


def test_a_reply_before_the_deadline_is_delivered_and_the_sender_learns_it_was() -> None:
    outcome: dict[str, object] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        reply: Reply[str] = Reply()
        clock.call_at(5.0, lambda: outcome.setdefault("delivered", reply.send("done")))
        outcome["answer"] = await reply.wait_until(clock, 10.0)
        outcome["at"] = clock.now()

    trio.run(_with_clock, body)
    assert outcome == {"delivered": True, "answer": "done", "at": 5.0}


def test_a_requester_that_timed_out_gets_none_and_a_late_reply_is_refused() -> None:
    outcome: dict[str, object] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        reply: Reply[str] = Reply()
        clock.call_at(15.0, lambda: outcome.setdefault("delivered", reply.send("late")))
        outcome["answer"] = await reply.wait_until(clock, 10.0)
        outcome["at"] = clock.now()
        await clock.sleep(10.0)

    trio.run(_with_clock, body)
    assert outcome == {"answer": None, "at": 10.0, "delivered": False}


def test_an_inbox_delivers_in_order_and_parks_its_reader_until_the_next_message() -> None:
    received: list[tuple[float, int]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        inbox: Inbox[int] = Inbox()

        async def reader() -> None:
            while True:
                message = await inbox.receive()
                received.append((clock.now(), message))

        nursery.start_soon(reader)
        inbox.send_nowait(1)
        inbox.send_nowait(2)
        clock.call_at(7.0, inbox.send_nowait, 3)
        await clock.sleep(8.0)

    trio.run(_with_clock, body)
    assert received == [(0.0, 1), (0.0, 2), (7.0, 3)]


def _parked_stack(task: trio.lowlevel.Task) -> list[str]:
    """The qualified names of the coroutines a parked task is suspended in, outermost first."""
    names: list[str] = []
    awaiting: object = task.coro
    while awaiting is not None:
        code = getattr(awaiting, "cr_code", None) or getattr(awaiting, "gi_code", None)
        if code is None:
            break
        names.append(code.co_qualname)
        awaiting = getattr(awaiting, "cr_await", None) or getattr(awaiting, "gi_yieldfrom", None)
    return names


def test_a_reader_parked_on_wait_holds_no_frame_of_the_inbox_and_wakes_on_the_next_message() -> None:
    seen: dict[str, object] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        inbox: Inbox[str] = Inbox()

        async def reader() -> None:
            await inbox.wait()
            seen["woken"] = (clock.now(), inbox.receive_nowait(), len(inbox))

        nursery.start_soon(reader, name="reader")
        await clock.sleep(1.0)
        (task,) = [child for child in nursery.child_tasks if child.name == "reader"]
        seen["stack"] = _parked_stack(task)
        clock.call_at(5.0, inbox.send_nowait, "offer")
        await clock.sleep(6.0)

    trio.run(_with_clock, body)
    # A million idle droplets park like this: every frame on the stack is memory each one keeps.
    stack = seen["stack"]
    assert isinstance(stack, list) and stack[0].endswith("reader")
    assert not any(name.startswith("Inbox.") for name in stack), stack
    assert seen["woken"] == (5.0, "offer", 0)


def test_closing_an_inbox_wakes_its_parked_reader_and_a_later_wait_returns_at_once() -> None:
    woken: list[tuple[float, bool, int]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        inbox: Inbox[str] = Inbox()

        async def reader() -> None:
            for _ in range(2):  # the second wait must not park: nothing would ever wake it
                await inbox.wait()
                woken.append((clock.now(), inbox.closed, len(inbox)))

        nursery.start_soon(reader)
        clock.call_at(3.0, inbox.close)
        await clock.sleep(4.0)

    trio.run(_with_clock, body)
    assert woken == [(3.0, True, 0), (3.0, True, 0)]
