"""The benchmark's baseline: the original design's intake, in Python.

FastAPI + uvicorn + psycopg2 (Debian 12 packages), receiving the same
Datadog payload on POST /datadog-webhook, parsing the JSON, and inserting one
row per alert into an `alerts` table (delivery_id unique, the raw payload as
text compressed with LZ4, the extracted type and transition as columns, the
row K-Fix stores), committing before answering 202, or 200 for a delivery id
already stored. Run by bench/intake/run.sh as

  BASELINE_DATABASE_URL=postgresql://postgres@127.0.0.1:PORT/kfix_baseline \
  python3 -m uvicorn baseline_app:app --workers 2 ...

Each worker process keeps a small thread-safe pool of connections; the
blocking psycopg2 calls run in Starlette's thread pool so the event loop
keeps accepting requests while a commit waits for the disk.
"""

import json
import os
import threading

import psycopg2
import psycopg2.pool
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

DSN = os.environ.get(
    "BASELINE_DATABASE_URL", "postgresql://postgres@127.0.0.1:55470/kfix_baseline"
)
POOL_SIZE = int(os.environ.get("BASELINE_POOL_SIZE", "8"))
# "threadpool": psycopg2 calls run in Starlette's thread pool (the event loop
# keeps serving while a commit waits); "inline": they run on the event loop
# itself, one request at a time per worker.
DB_CALLS = os.environ.get("BASELINE_DB_CALLS", "threadpool")

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
  id          BIGSERIAL PRIMARY KEY,
  delivery_id TEXT NOT NULL UNIQUE,
  monitor_id  TEXT NOT NULL DEFAULT '',
  cycle_key   TEXT NOT NULL DEFAULT '',
  transition  TEXT NOT NULL DEFAULT '',
  alert_type  TEXT NOT NULL,
  event_date  TIMESTAMPTZ,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  payload     TEXT COMPRESSION lz4 NOT NULL
)
"""

INSERT = """
INSERT INTO alerts (delivery_id, monitor_id, cycle_key, transition,
                    alert_type, event_date, payload)
VALUES (%s, %s, %s, %s, %s, to_timestamp(%s::double precision / 1000.0),
        %s)
ON CONFLICT (delivery_id) DO NOTHING
RETURNING id
"""

app = FastAPI()
_pool = None
_pool_lock = threading.Lock()
# ThreadedConnectionPool raises when empty; Starlette's thread pool has 40
# threads, so requests wait here for a free connection instead.
_conn_slots = threading.BoundedSemaphore(POOL_SIZE)


def pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = psycopg2.pool.ThreadedConnectionPool(1, POOL_SIZE, DSN)
        return _pool


@app.on_event("startup")
def create_schema():
    p = pool()
    conn = p.getconn()
    try:
        with conn.cursor() as cur:
            # Two workers start at once: serialise the CREATE.
            cur.execute("SELECT pg_advisory_xact_lock(4242002)")
            cur.execute(SCHEMA)
        conn.commit()
    finally:
        p.putconn(conn)


def classify(alert):
    text = (alert.get("alert_title", "") + " " + alert.get("body", "")).lower()
    if "oomkilled" in text or "oom" in text:
        return "oom_killed"
    if "memory" in text:
        return "memory_pressure"
    return "unknown"


def enrich(alert):
    return {
        "delivery_id": alert["id"],
        "type": classify(alert),
        "transition": alert.get("alert_transition", ""),
        "monitor_id": alert.get("alert_id", ""),
        "cycle_key": alert.get("alert_cycle_key", ""),
        "cluster": alert.get("kube_cluster_name", ""),
        "workload": {
            "namespace": alert.get("kube_namespace", ""),
            "kind": "Deployment" if alert.get("kube_deployment") else "",
            "name": alert.get("kube_deployment", ""),
        },
        "container": alert.get("kube_container_name", ""),
        "pod": alert.get("pod_name", ""),
        "env": alert.get("env", ""),
        "team": alert.get("team", ""),
    }


def store(alert, raw, enriched):
    with _conn_slots:
        return _store(alert, raw, enriched)


def _store(alert, raw, enriched):
    p = pool()
    conn = p.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(
                INSERT,
                (
                    alert["id"],
                    alert.get("alert_id", ""),
                    alert.get("alert_cycle_key", ""),
                    alert.get("alert_transition", ""),
                    enriched["type"],
                    alert.get("date") or None,
                    raw,
                ),
            )
            inserted = cur.fetchone() is not None
        conn.commit()  # durable before the answer
        return inserted
    except Exception:
        conn.rollback()
        raise
    finally:
        p.putconn(conn)


def answer(status, body):
    return Response(
        content=json.dumps(body), status_code=status, media_type="application/json"
    )


@app.post("/datadog-webhook")
async def datadog_webhook(request: Request):
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return answer(415, {"error": "Content-Type must be application/json"})
    raw = (await request.body()).decode("utf-8", "replace")
    try:
        alert = json.loads(raw)
    except ValueError as e:
        return answer(400, {"error": "invalid JSON: %s" % e})
    if not isinstance(alert, dict) or not alert.get("id"):
        return answer(400, {"error": "missing delivery id"})
    enriched = enrich(alert)
    try:
        if DB_CALLS == "inline":
            inserted = _store(alert, raw, enriched)
        else:
            inserted = await run_in_threadpool(store, alert, raw, enriched)
    except psycopg2.Error as e:
        return answer(503, {"error": "alert not stored: %s" % e})
    if not inserted:
        return answer(200, {"status": "duplicate"})
    return answer(202, {"status": "accepted"})


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
