#!/usr/bin/env python3
"""ledgerctl: the operator's command-line tool for Ledger (shipped as a tarball).

  ledgerctl.py --config /srv/mgr/etc/ledger/ledger.json count     entries in the ledger
  ledgerctl.py --config ... version                               this tool's version
It reads the same rendered config as the API and talks to the database directly, so
it also serves as a health check command that the database answers.
"""
import argparse
import json
import os
import sqlite3
import sys

VERSION = "@VERSION@"  # written by build-artifacts.sh


def connect(cfg):
    db, c = cfg["db"], cfg["db"].get("connection", {})
    if db.get("client", "sqlite") == "sqlite":
        return sqlite3.connect(os.path.join(cfg["root"], c["filename"]), timeout=10)
    import psycopg2

    conn = psycopg2.connect(c["url"]) if "url" in c else psycopg2.connect(
        host=c.get("host"), port=c.get("port"), user=c.get("user"), password=c.get("password"), dbname=c.get("database"))
    if c.get("schema"):
        conn.cursor().execute("select set_config('search_path', %s, false)", (c["schema"],))
    return conn


def main():
    ap = argparse.ArgumentParser(prog="ledgerctl")
    ap.add_argument("--config", required=True)
    ap.add_argument("command", choices=["count", "version"])
    args = ap.parse_args()
    if args.command == "version":
        print(VERSION)
        return
    with open(args.config) as f:
        cfg = json.load(f)
    try:
        cur = connect(cfg).cursor()
        cur.execute("select count(*) from entries")
        print(cur.fetchone()[0])
    except Exception as e:
        sys.exit(f"ledgerctl: {str(e).strip()}")


if __name__ == "__main__":
    main()
