import random

from desktop_app.sync.backoff import Backoff


def test_delays_double_up_to_the_cap_and_reset() -> None:
    backoff = Backoff(1.0, 8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert 0.75 * ceiling <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1.0
