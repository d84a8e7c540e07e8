"""The SQLite schema, versioned with `PRAGMA user_version`; each migration moves one version up."""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        received_at REAL NOT NULL,
        listener TEXT NOT NULL DEFAULT '',
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        query TEXT NOT NULL DEFAULT '',
        headers TEXT NOT NULL,              -- JSON [[name, value], ...]: order and duplicates kept
        body BLOB NOT NULL,                 -- the exact bytes received
        body_size INTEGER NOT NULL,
        remote_addr TEXT NOT NULL DEFAULT '',
        response_status INTEGER,
        sig_scheme TEXT,
        sig_status TEXT,
        sig_reason TEXT,
        signature TEXT,                     -- JSON: the verdict's details and diagnosis
        route TEXT,
        match TEXT,                         -- JSON: what the route handed to workflows
        forward TEXT,                       -- JSON: the forward exchange
        origin TEXT NOT NULL DEFAULT 'external',
        origin_ref INTEGER,
        timings TEXT,                       -- JSON
        error TEXT,                         -- why it was rejected, or a per-event evaluation error
        meta TEXT                           -- JSON: e.g. an import's original id and timestamp
    );
    -- no index on received_at: ids grow with time, so time ranges are id ranges (one index less per insert)
    CREATE INDEX events_sig_status ON events(sig_status, id);
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        workflow TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        output TEXT,
        error TEXT,
        trigger_event INTEGER,
        started_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX runs_started_at ON runs(started_at);
    CREATE TABLE job_states (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        job_id TEXT NOT NULL,
        state TEXT NOT NULL,
        at REAL NOT NULL,
        detail TEXT
    );
    CREATE INDEX job_states_run ON job_states(run_id, id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        event_id INTEGER REFERENCES events(id),
        kind TEXT NOT NULL,                 -- forward | replay | send | callback
        target TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 1,
        started_at REAL NOT NULL,
        status INTEGER,
        latency_ms REAL,
        response_headers TEXT,
        response_body BLOB,
        error TEXT
    );
    CREATE INDEX deliveries_event ON deliveries(event_id, id);
    """,
    # version 2: replays and forged events point at their original; ModelRiver round trips
    """
    CREATE INDEX events_origin_ref ON events(origin_ref) WHERE origin_ref IS NOT NULL;
    CREATE TABLE round_trips (
        channel_id TEXT PRIMARY KEY,
        event_id INTEGER NOT NULL,          -- the forged event that asked for the callback
        started_at REAL NOT NULL,
        deadline REAL NOT NULL,
        status TEXT NOT NULL,               -- waiting | completed | failed | invalid | refused | timeout
        callback_event INTEGER,             -- the callback request, once it came
        detail TEXT                         -- JSON: the app's answer, the checks of the callback
    );
    """,
    # version 3: what hooktui sent, and the listener that received a request, as fields (they were only in the
    # `listener` label: `→ url` for a send, `host:port` for a listener). Old rows get them from their labels once.
    """
    ALTER TABLE events ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN listener_host TEXT;
    ALTER TABLE events ADD COLUMN listener_port INTEGER;
    UPDATE events SET sent = 1 WHERE listener LIKE '→%';
    -- `host:port` (the host may hold colons, IPv6): the port is the digits after the last colon
    UPDATE events SET listener_host = substr(listener, 1, length(rtrim(listener, '0123456789')) - 1),
                      listener_port = CAST(substr(listener, length(rtrim(listener, '0123456789')) + 1) AS INTEGER)
    WHERE NOT sent AND rtrim(listener, '0123456789') LIKE '_%:'
      AND length(rtrim(listener, '0123456789')) < length(listener);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(Exception):
    """The database cannot be used by this version of hooktui."""


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    found: int = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise SchemaError(f"the database has schema version {found}, newer than this hooktui knows "
                          f"({SCHEMA_VERSION}); upgrade hooktui or use another --db")
    for version in range(found, SCHEMA_VERSION):
        connection.executescript(f"BEGIN; {MIGRATIONS[version]} PRAGMA user_version = {version + 1}; COMMIT;")
    return found
