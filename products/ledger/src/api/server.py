#!/usr/bin/env python3
"""Ledger API: a small HTTP service keeping account entries, on SQLite or PostgreSQL.

Usage: server.py --config /srv/mgr/etc/ledger/ledger.json
The config is rendered by uphop from templates/ledger.json.tmpl and the site values.
"""
import argparse
import json
import os
import signal
import sqlite3
import sys
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

VERSION = "@VERSION@"  # written by build-artifacts.sh

# The newest migration the code of each version needs: /health answers 200 only once
# it is applied, so uphop's health check fails (and rolls back) on a schema mismatch.
NEEDS = {
    "1.0.0": "1.0.0/001-entries.sql",
    "1.1.0": "1.1.0/002-currency-backfill.sql",
    "1.2.0": "1.2.0/001-account-index.pre.sql",
}


def vtuple(v):
    return tuple(int(p) for p in v.split("-")[0].split("."))


HAS_CURRENCY = vtuple(VERSION) >= (1, 1, 0)


class Db:
    """One connection per request: sqlite3 objects must not cross threads."""

    def __init__(self, cfg):
        db = cfg["db"]
        self.client = db.get("client", "sqlite")
        self.conn_cfg = db.get("connection", {})
        self.root = cfg["root"]
        if self.client not in ("sqlite", "pg"):
            sys.exit(f"ledger: db.client {self.client!r} is not supported (sqlite or pg)")

    def connect(self):
        c = self.conn_cfg
        if self.client == "sqlite":
            # uphop's sqlite filename is relative to the manager root (docs/values.md)
            conn = sqlite3.connect(os.path.join(self.root, c["filename"]), timeout=10)
            return conn, "?"
        import psycopg2  # Debian: python3-psycopg2; only needed on PostgreSQL

        if "url" in c:
            conn = psycopg2.connect(c["url"])
        else:
            conn = psycopg2.connect(host=c.get("host", "127.0.0.1"), port=c.get("port", 5432), user=c.get("user"),
                                    password=c.get("password"), dbname=c.get("database"))
        if c.get("schema"):
            with conn.cursor() as cur:
                cur.execute("select set_config('search_path', %s, false)", (c["schema"],))
        return conn, "%s"

    def query(self, sql, params=(), write=False):
        conn, mark = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql.replace("?", mark), params)
            rows = cur.fetchall() if cur.description else []
            if write:
                conn.commit()
            return rows
        finally:
            conn.close()


def schema_of(db):
    """the latest migration uphop applied (uphop_migrations: name, version, ...)"""
    rows = db.query("select name, version from uphop_migrations")
    if not rows:
        return None
    return max(rows, key=lambda r: (vtuple(r[1]), r[0]))[0]


def make_handler(db):
    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):  # to the service log (stdout), not stderr noise
            print("%s %s" % (self.address_string(), fmt % args), flush=True)

        def do_GET(self):
            url = urlparse(self.path)
            try:
                if url.path == "/health":
                    return self.health()
                if url.path == "/entries":
                    account = parse_qs(url.query).get("account", [None])[0]
                    cols = "id, account, amount_cents" + (", currency" if HAS_CURRENCY else "")
                    sql = f"select {cols} from entries" + (" where account = ?" if account else "") + " order by created_at, id"
                    rows = db.query(sql, (account,) if account else ())
                    names = [c.strip() for c in cols.split(",")]
                    return self.reply(200, [dict(zip(names, r)) for r in rows])
                self.reply(404, {"error": "not found"})
            except Exception as e:  # the DB is down or the schema is not there yet
                self.reply(503, {"error": str(e).strip()})

        def do_POST(self):
            if self.path != "/entries":
                return self.reply(404, {"error": "not found"})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                row = {"id": str(uuid.uuid4()), "account": str(body["account"]), "amount_cents": int(body["amount_cents"]),
                       "created_at": datetime.now(timezone.utc).isoformat()}
                if HAS_CURRENCY:
                    row["currency"] = str(body.get("currency", "EUR"))
                cols = ", ".join(row)
                db.query(f"insert into entries ({cols}) values ({', '.join('?' for _ in row)})", tuple(row.values()), write=True)
                self.reply(201, row)
            except (KeyError, ValueError) as e:
                self.reply(400, {"error": f"bad entry: {e}"})
            except Exception as e:
                self.reply(503, {"error": str(e).strip()})

        def health(self):
            schema = schema_of(db)
            body = {"version": VERSION, "schema": schema, "pid": os.getpid()}
            needed = NEEDS.get(VERSION)
            applied = {r[0] for r in db.query("select name from uphop_migrations")}
            if needed not in applied:
                return self.reply(503, {**body, "error": f"schema {needed} is not applied"})
            body["entries"] = db.query("select count(*) from entries")[0][0]
            self.reply(200, {**body, "status": "ok"})

    return Handler


def main():
    ap = argparse.ArgumentParser(description="Ledger API")
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    server = ThreadingHTTPServer((cfg.get("host", "127.0.0.1"), int(cfg["port"])), make_handler(Db(cfg)))
    # uphop stops a service with SIGTERM (then SIGKILL): exit cleanly on it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ledger-api {VERSION} listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
