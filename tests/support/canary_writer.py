"""Run by tests/security/test_canary.py in a child process (tests/support/sync_client_process
.Zygote): autosave a draft holding the canary patient, encrypted, until killed with SIGKILL.

Prints "ACK <n>" once each save is committed."""

from __future__ import annotations

import itertools
import sys
import time

from desktop_app.autosave import Autosaver
from local_cache import open_cache
from local_cache.crypto import EncryptingCodec, UserKeys
from local_cache.user_cache import UserCache


def autosave_until_killed(
    *, path: str, owner: str, data_key: str, outbox_key: str, values: dict
) -> None:
    user = UserCache(
        open_cache(path),
        owner,
        EncryptingCodec(UserKeys(bytes.fromhex(data_key), bytes.fromhex(outbox_key))),
    )
    draft = user.messages.create_draft(None, "breast", "assessment", 3, values)
    autosaver = Autosaver(user.messages)
    for n in itertools.count():
        saved = autosaver.save(draft.id, {**values, "note": f"{values['patient_name']} {n}"})
        saved.add_done_callback(
            lambda _f, n=n: (sys.stdout.write(f"ACK {n}\n"), sys.stdout.flush())
        )
        time.sleep(0.0005)
