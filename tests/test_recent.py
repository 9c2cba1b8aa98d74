"""armsim.ik.recent.Recent: the problems kept for the chains solved last (bounded), by
identity, with the entry used last read without the lock."""

import threading

import pytest

from armsim.ik.recent import Recent


class Key:
    """Unhashable on purpose: Recent keys by identity."""
    __hash__ = None


def test_keeps_the_last_used_keys_by_identity():
    r = Recent(2)
    a, b, c = Key(), Key(), Key()
    assert r.get(a) is None and r.get(a, 5) == 5
    assert r.setdefault(a, "A") == "A" and r.setdefault(a, "other") == "A"
    r[b] = "B"
    assert r.get(a) == "A"                  # a used last: b is the older one now
    r[c] = "C"                              # b dropped
    assert r.get(b) is None and r[a] == "A" and r[c] == "C" and len(r) == 2
    with pytest.raises(KeyError):
        r[b]
    r[c] = "C2"                             # replaced
    assert r.get(c) == "C2" and r.get(a) == "A"
    r.clear()
    assert len(r) == 0 and r.get(a) is None and r.get(c) is None


def test_the_front_entry_follows_every_write_and_is_never_a_dropped_one():
    r = Recent(1)
    a, b = Key(), Key()
    r[a] = 1
    assert r.get(a) == 1
    r[b] = 2                                # a dropped: the front is b's
    assert r.get(a) is None and r.get(b) == 2
    r.setdefault(a, 3)
    assert r.get(b) is None and r.get(a) == 3
    assert Recent(0).size == 1


def test_threads_each_get_their_own_value():
    r = Recent(64)
    keys = [Key() for _ in range(32)]
    bad = []

    def work(i):
        for _ in range(2000):
            k = keys[(i * 7 + _) % 32]
            v = r.setdefault(k, id(k))
            if v != id(k) or r.get(k, id(k)) != id(k):
                bad.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad and len(r) == 32
