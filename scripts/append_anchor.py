#!/usr/bin/env python3
"""The anchor for the store's append benchmark (docs/performance.md): a
plain Python `sqlite3` loop that appends rows of the same size as the
store's events (327 bytes of JSON on average in a generated register) in
batches of 1,000, one transaction each, with a SHA-256 hash chain, into a
table of the same shape (WAL, synchronous=NORMAL, UNIQUE(stream, sequence)).
It keeps no projection, claims or request records: it is the floor that a
store doing all of that is measured against.

    python3 scripts/append_anchor.py [BATCHES]      # default 300

Prints the mean and median throughput in events per second.
"""
import hashlib
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid

BATCH = 1000


def main() -> None:
    batches = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    path = os.path.join(tempfile.mkdtemp(), "anchor.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, "
        "sequence INTEGER NOT NULL, body TEXT NOT NULL, hash BLOB NOT NULL, "
        "UNIQUE (stream, sequence)) STRICT"
    )
    prev = bytes(32)
    position = 0
    seconds = []
    cpu = []
    for _ in range(batches):
        # Ten events per stream, as a nonconformity's lifecycle.
        rows = []
        for _ in range(BATCH // 10):
            stream = f"nonconformity/{uuid.uuid4()}"
            for sequence in range(1, 11):
                body = json.dumps({
                    "id": str(uuid.uuid4()), "stream": stream, "sequence": sequence,
                    "at": "2026-03-02T09:00:00Z", "actor": "maria",
                    "payload": {"type": "containment_recorded.v1",
                                "action_taken": "x" * 64, "consequences": None},
                })
                rows.append((stream, sequence, body))
        start = time.perf_counter()
        start_cpu = time.thread_time()
        conn.execute("BEGIN IMMEDIATE")
        out = []
        for stream, sequence, body in rows:
            position += 1
            h = hashlib.sha256()
            h.update(b"isms-event-chain/v1")
            h.update(position.to_bytes(8, "big"))
            h.update(len(stream).to_bytes(8, "big"))
            h.update(stream.encode())
            h.update(sequence.to_bytes(8, "big"))
            b = body.encode()
            h.update(len(b).to_bytes(8, "big"))
            h.update(b)
            h.update(prev)
            prev = h.digest()
            out.append((position, stream, sequence, body, prev))
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", out)
        conn.execute("COMMIT")
        seconds.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    rates = [BATCH / s for s in seconds]
    print(json.dumps({
        "batches": batches,
        "body_bytes": len(rows[0][2]),
        "mean_events_per_s": BATCH * batches / sum(seconds),
        "median_events_per_s": statistics.median(rates),
        "mean_events_per_cpu_s": BATCH * batches / sum(cpu),
    }))


if __name__ == "__main__":
    main()
