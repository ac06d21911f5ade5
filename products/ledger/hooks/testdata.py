#!/usr/bin/python3
"""Ledger's seed and verify hooks for `uphop test-path` (never run on a site).

uphop runs this program with UPHOP_HOOK=seed on the empty sandbox at the start version,
then with UPHOP_HOOK=verify after each hop (up and down) and reads its exit code; the
database is UPHOP_DB_URL (sqlite:///abs/file or postgres://user@host:port/db?schema=s).
"""
import os
import sqlite3
import sys
import uuid
from urllib.parse import parse_qs, unquote, urlparse


def connect(url):
    u = urlparse(url)
    if u.scheme == "sqlite":
        return sqlite3.connect(unquote(u.path)), "?"
    import psycopg2  # Debian: python3-psycopg2

    schema = parse_qs(u.query).get("schema", [None])[0]
    conn = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=unquote(u.username or ""),
                            password=unquote(u.password or "") or None, dbname=u.path.lstrip("/"))
    if schema:
        conn.cursor().execute("select set_config('search_path', %s, false)", (schema,))
    return conn, "%s"


def main():
    version = tuple(int(p) for p in os.environ["UPHOP_VERSION"].split("."))
    conn, mark = connect(os.environ["UPHOP_DB_URL"])
    cur = conn.cursor()
    if os.environ["UPHOP_HOOK"] == "seed":
        rows = int(os.environ.get("UPHOP_SEED_ROWS", "100"))
        cols = "id, account, amount_cents, created_at" + (", currency" if version >= (1, 1, 0) else "")
        for i in range(rows):
            vals = [str(uuid.uuid4()), f"acct-{i % 17}", i * 10 - 500, f"2026-01-01T00:00:{i % 60:02d}Z"]
            if version >= (1, 1, 0):
                vals.append("CHF")
            cur.execute(f"insert into entries ({cols}) values ({', '.join([mark] * len(vals))})", vals)
        conn.commit()
        print(f"seeded {rows} entries")
        return
    cur.execute("select count(*) from entries")
    count = cur.fetchone()[0]
    if count == 0:
        sys.exit("verify: the entries are gone")
    if version >= (1, 1, 0):
        cur.execute("select count(*) from entries where currency is null")
        missing = cur.fetchone()[0]
        if missing:
            sys.exit(f"verify: {missing} entries without a currency at {os.environ['UPHOP_VERSION']}")
    print(f"{count} entries ok at {os.environ['UPHOP_VERSION']}")


if __name__ == "__main__":
    main()
