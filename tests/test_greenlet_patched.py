"""aiologic under `gevent.monkey.patch_all()` and `eventlet.monkey_patch()`.

Each test runs a fresh process that patches first and imports aiologic
after, as both libraries document. There, `threading.Thread` starts
greenlets and `time.sleep` yields to the hub: aiologic's primitives must
switch greenlets (never block the thread's hub), and its own waiting in a
real OS thread (started through the library's original `start_new_thread`)
must still block that thread only.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

PATCH = {
    "gevent": """
        from gevent import monkey
        monkey.patch_all()
        import gevent
        spawn = gevent.spawn
        Timeout = gevent.Timeout
        start_real_thread = monkey.get_original("_thread", "start_new_thread")
        real_sleep = monkey.get_original("time", "sleep")
        def kill(g):
            g.kill()
    """,
    "eventlet": """
        import eventlet
        eventlet.monkey_patch()
        from eventlet import patcher
        spawn = eventlet.spawn
        Timeout = eventlet.Timeout
        start_real_thread = patcher.original("_thread").start_new_thread
        real_sleep = patcher.original("time").sleep
        def kill(g):
            g.kill()
    """,
}

CHECKS = """
import threading
import time

import aiologic
from aiologic.lowlevel import current_green_library

def report(name, *facts):
    print(name, *[bool(fact) for fact in facts], flush=True)

def run_real_thread(function):
    # A real OS thread; the calling greenlet polls for its end with the
    # patched (cooperative) sleep, so the hub keeps running meanwhile.
    done = []
    def target():
        try:
            function()
        finally:
            done.append(True)
    start_real_thread(target, ())
    deadline = time.monotonic() + 10
    while not done and time.monotonic() < deadline:
        time.sleep(0.002)
    assert done, "the real thread did not finish"

def in_thread(function, *args):
    thread = threading.Thread(target=function, args=args)  # a greenlet
    thread.start()
    return thread

# -- detection: greenlets (patched threads too) are LIBRARY's, a real thread is not
seen = []
in_thread(lambda: seen.append(current_green_library())).join()
real = []
run_real_thread(lambda: real.append(current_green_library()))
report("detection", seen == [LIBRARY], current_green_library() == LIBRARY, real == ["threading"])

# -- Lock: 5 patched threads, each holding it 10 ms: one holder at a time, FIFO
lock = aiologic.Lock()
holders, peak, order = [0], [0], []
def lock_worker(i):
    with lock:
        holders[0] += 1
        peak[0] = max(peak[0], holders[0])
        order.append(i)
        time.sleep(0.01)
        holders[0] -= 1
start = time.monotonic()
threads = [in_thread(lock_worker, i) for i in range(5)]
for thread in threads:
    thread.join()
elapsed = time.monotonic() - start
report("lock", peak == [1], order == list(range(5)), 0.05 <= elapsed < 1.05, not lock.locked())

# -- Lock timeout and cancellation: nothing lost
lock.green_acquire()
start = time.monotonic()
box = {}
def timed():
    box["timed"] = lock.green_acquire(timeout=0.05)
    box["elapsed"] = time.monotonic() - start
in_thread(timed).join()
def by_timeout():
    try:
        with Timeout(0.05):
            lock.green_acquire()
    except Timeout:
        box["timeout"] = True
g = spawn(by_timeout)
g.wait() if hasattr(g, "wait") else g.join()
def killed():
    box["killed started"] = True
    lock.green_acquire()
    box["killed acquired"] = True
g = spawn(killed)
time.sleep(0.01)
kill(g)
report(
    "lock-cancel",
    box["timed"] is False,
    box["elapsed"] >= 0.05,
    box.get("timeout"),
    box.get("killed started") and "killed acquired" not in box,
    lock.waiting == 0,
)
lock.green_release()
report("lock-after-cancel", not lock.locked(), lock.green_acquire(blocking=False))
lock.green_release()

# -- Lock handed between a greenlet and a real thread, both ways
lock.green_acquire()
got = []
def real_acquirer():
    got.append(lock.green_acquire(timeout=10))  # blocks this real thread only
    got.append(lock.owner[0])
    lock.green_release()
start_real_thread(real_acquirer, ())
time.sleep(0.05)
lock.green_release()  # hands the lock to the real thread
deadline = time.monotonic() + 10
while (len(got) < 2 or lock.locked()) and time.monotonic() < deadline:
    time.sleep(0.002)
report("lock-to-real-thread", got == [True, "threading"], not lock.locked())
holding = []
def real_holder():
    lock.green_acquire()
    holding.append(True)
    real_sleep(0.05)
    lock.green_release()
start_real_thread(real_holder, ())
while not holding:
    time.sleep(0.001)
start = time.monotonic()
acquired = lock.green_acquire(timeout=10)
report("lock-from-real-thread", acquired, lock.owner[0] == LIBRARY, time.monotonic() - start < 5)
lock.green_release()

# -- Semaphore(2): 6 patched threads holding 20 ms, never more than 2 at once
semaphore = aiologic.Semaphore(2)
holders, peak = [0], [0]
def semaphore_worker():
    with semaphore:
        holders[0] += 1
        peak[0] = max(peak[0], holders[0])
        time.sleep(0.02)
        holders[0] -= 1
start = time.monotonic()
threads = [in_thread(semaphore_worker) for _ in range(6)]
for thread in threads:
    thread.join()
elapsed = time.monotonic() - start
report("semaphore", peak == [2], 0.06 <= elapsed < 1.06, semaphore.value == 2)

# -- Semaphore woken from a real thread; timeout; cancellation
semaphore = aiologic.Semaphore(0)
def real_releaser():
    real_sleep(0.02)
    semaphore.release()
start_real_thread(real_releaser, ())
start = time.monotonic()
woken = semaphore.green_acquire(timeout=10)
report("semaphore-from-real-thread", woken, time.monotonic() - start < 5, semaphore.value == 0)
start = time.monotonic()
timed_out = semaphore.green_acquire(timeout=0.05)
elapsed = time.monotonic() - start
g = spawn(semaphore.green_acquire)
time.sleep(0.01)
kill(g)
time.sleep(0.01)
semaphore.release()
report("semaphore-cancel", timed_out is False, elapsed >= 0.05, semaphore.waiting == 0, semaphore.value == 1)

# -- BoundedSemaphore: over-release refused, waiters served
bounded = aiologic.BoundedSemaphore(1)
try:
    bounded.release()
    over = False
except RuntimeError:
    over = True
bounded.green_acquire()
results = []
threads = [in_thread(lambda: results.append(bounded.green_acquire(timeout=10))) for _ in range(2)]
time.sleep(0.01)
bounded.release()
time.sleep(0.01)
bounded.release()
for thread in threads:
    thread.join()
bounded.release()
report("bounded-semaphore", over, results == [True, True], bounded.value == 1)

# -- Event: greenlets woken by a set() from a real thread; timeout
event = aiologic.Event()
woken = []
threads = [in_thread(lambda: woken.append(event.wait(10))) for _ in range(3)]
time.sleep(0.01)
run_real_thread(event.set)
for thread in threads:
    thread.join()
start = time.monotonic()
timed_out = aiologic.Event().wait(0.05)
report("event", woken == [True, True, True], timed_out is False, time.monotonic() - start >= 0.05)
event = aiologic.Event()
def event_cancelled():
    try:
        with Timeout(0.02):
            event.wait()
    except Timeout:
        box["event timeout"] = True
g = spawn(event_cancelled)
g.wait() if hasattr(g, "wait") else g.join()
report("event-cancel", box.get("event timeout"), event.waiting == 0)
"""

EXPECTED = [
    "detection True True True",
    "lock True True True True",
    "lock-cancel True True True True True",
    "lock-after-cancel True True",
    "lock-to-real-thread True True",
    "lock-from-real-thread True True True",
    "semaphore True True True",
    "semaphore-from-real-thread True True True",
    "semaphore-cancel True True True True",
    "bounded-semaphore True True True",
    "event True True True",
    "event-cancel True True",
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("library", ["gevent", "eventlet"])
def test_primitives_under_monkey_patching(library: str) -> None:
    if importlib.util.find_spec(library) is None or importlib.util.find_spec("aiologic_greenlet") is None:
        pytest.skip(f"{library} or aiologic-greenlet is not installed (no wheels for this interpreter)")
    code = textwrap.dedent(PATCH[library]) + f"LIBRARY = {library!r}\n" + textwrap.dedent(CHECKS)
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=100
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == EXPECTED, result.stdout + result.stderr
