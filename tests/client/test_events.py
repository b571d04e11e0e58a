import threading

from desktop_app.events import EventBus, OutboxChanged


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    bus = EventBus()
    seen: list[object] = []

    def broken(event: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.publish(OutboxChanged(unsent=2))
    assert seen == [OutboxChanged(unsent=2)]


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[object] = []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(OutboxChanged(unsent=1))
    unsubscribe()
    unsubscribe()  # twice is harmless
    bus.publish(OutboxChanged(unsent=2))
    assert seen == [OutboxChanged(unsent=1)]


def test_publish_from_many_threads_while_subscribing() -> None:
    bus = EventBus()
    seen: list[object] = []
    lock = threading.Lock()

    def record(event: object) -> None:
        with lock:
            seen.append(event)

    bus.subscribe(record)

    def publish_many() -> None:
        for i in range(200):
            bus.publish(OutboxChanged(unsent=i))
            unsubscribe = bus.subscribe(lambda e: None)
            unsubscribe()

    threads = [threading.Thread(target=publish_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 800
