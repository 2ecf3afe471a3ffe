"""Bulk monitoring: import 1 million claims and evaluate 100,000 households, on SQLite and on
PostgreSQL; wall time and peak memory of each step (target: under 60 s and 2 GB each).

    .venv/bin/python benchmarks/monitor_bulk.py                       # both backends
    .venv/bin/python benchmarks/monitor_bulk.py --claims 100000 --households 10000
    .venv/bin/python benchmarks/monitor_bulk.py --backends sqlite

A synthetic county (seeded): 10 townships x 20 villages, ``--households`` households of 1-6
members with valid identity numbers, and ``--claims`` claims over the year before the
evaluation date. The register is imported first (timed, not a target). Each measured step runs
in its own child process, so that its peak resident memory (``VmHWM``) and CPU time are
its own (the CPU time of the PostgreSQL server is not included). The
PostgreSQL run uses a fresh schema in ``--postgres`` (default: the local server's ``test``
database), dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AS_OF = dt.date(2025, 6, 30)
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))
CATEGORIES = ["formerly_poor_unstable", "marginal_at_risk", "sudden_difficulty", "ordinary"]
RULES = {
    "province": "53",
    "year": 2025,
    "version": 1,
    "reference_income": 16_000,
    "monitoring_line": 7_300,
    "rules": [
        {"id": "oop-fp", "kind": "oop_share", "groups": ["formerly_poor_unstable"], "share": 0.5},
        {"id": "oop-others", "kind": "oop_share",
         "groups": ["marginal_at_risk", "sudden_difficulty", "ordinary"], "share": 1.0},
        {"id": "oop-amount", "kind": "oop_amount", "groups": ["*"], "amount": 50_000},
        {"id": "income", "kind": "income_below", "groups": ["*"]},
    ],
}  # fmt: skip
KEY_HEX = "00" * 32


def areas() -> pd.DataFrame:
    rows = [("53", "P", "province", ""), ("5301", "C", "city", "53"),
            ("530102", "County", "county", "5301")]  # fmt: skip
    for t in range(1, 11):
        township = f"530102{t:03d}"
        rows.append((township, f"T{t}", "township", "530102"))
        rows += [(f"{township}{v:03d}", f"V{t}-{v}", "village", township) for v in range(1, 21)]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent"])


def make_data(folder: Path, households: int, claims: int, seed: int) -> None:
    """Write register.csv and claims.csv (seeded)."""
    rng = np.random.default_rng(seed)
    villages = areas().query("level == 'village'")["code"].to_numpy()
    size = rng.integers(1, 7, households)
    n = int(size.sum())
    household = np.repeat(np.arange(households), size)
    # Unique (birth day, sequence) pairs -> unique identity numbers with their check digit.
    pairs = rng.choice(29_000 * 1_000, size=n, replace=False)
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(pairs // 1_000, unit="D")
    body = "530102" + born.strftime("%Y%m%d").to_numpy(dtype=str).astype(object) + pd.Series(
        pairs % 1_000).map("{:03d}".format).to_numpy(dtype=object)  # fmt: skip
    digits = np.array([list(map(int, b)) for b in body])
    ids = body + CHECK[(digits @ WEIGHTS) % 11]
    first = np.r_[0, np.cumsum(size)[:-1]]
    relation = np.full(n, "member", dtype=object)
    relation[first] = "head"
    register = pd.DataFrame(
        {
            "household_ref": [f"H{h:06d}" for h in household],
            "village_code": villages[household % len(villages)],
            "category": np.array(CATEGORIES)[household % 4],
            "id_number": ids,
            "name": [f"P{i}" for i in range(n)],
            "relation": relation,
            "phone": np.where(relation == "head", "13800000000", ""),
            "bank_account": "",
            "weight": "1",
        }
    )
    register.to_csv(folder / "register.csv", index=False)
    who = rng.integers(0, n, claims)
    total = np.round(rng.lognormal(6.5, 1.3, claims), 2)
    oop = np.round(total * rng.uniform(0.05, 0.6, claims), 2)
    basic = np.round(total - oop, 2)
    days = rng.integers(0, 365, claims)
    dates = (pd.Timestamp(AS_OF) - pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    pd.DataFrame(
        {
            "claim_no": [f"C{i:08d}" for i in range(claims)],
            "id_number": ids[who],
            "service_date": dates,
            "provider_code": "P1",
            "provider_tier": np.array(
                ["village_clinic", "township_health_center", "county_hospital"]
            )[who % 3],
            "provider_county": np.where(rng.random(claims) < 0.9, "530102", "530111"),
            "inpatient": (rng.random(claims) < 0.2).astype(int),
            "diagnosis_code": "I10",
            "total_cost": total,
            "basic_insurance": basic,
            "critical_illness_insurance": 0,
            "medical_assistance": 0,
            "out_of_pocket": oop,
        }
    ).to_csv(folder / "claims.csv", index=False, float_format="%.2f")


def step(url: str, folder: Path, name: str) -> dict[str, object]:
    """One measured step, run in this (child) process."""
    from accessplan.monitor.claims import import_claims
    from accessplan.monitor.db import Database
    from accessplan.monitor.register import actor, create_user, import_register, load_areas
    from accessplan.monitor.rules import RuleSet, evaluate, store_rules
    from accessplan.monitor.security import Keyring, Passwords

    database = Database(url, keyring=Keyring(bytes.fromhex(KEY_HEX)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    if name == "register":
        database.upgrade()
        with database.session("bench") as session:
            load_areas(session, areas())
            create_user(session, "admin", "benchmark-password", "county_admin", "530102",
                        passwords=Passwords(time_cost=1, memory_cost=8, parallelism=1))  # fmt: skip
        with database.reader() as session:
            admin = actor(session, "admin")
        report = import_register(database, folder / "register.csv", admin, today=AS_OF)
        detail = f"{report.accepted:,} members"
    else:
        with database.reader() as session:
            admin = actor(session, "admin")
        if name == "claims":
            report = import_claims(database, folder / "claims.csv", admin, today=AS_OF)
            detail = f"{report.accepted:,} claims, {report.rejected} refused"
        else:
            with database.session("admin") as session:
                store_rules(session, RuleSet.from_dict(RULES), admin)
            result = evaluate(database, admin, as_of=AS_OF)
            detail = f"{result.households:,} households, {result.new_warnings:,} warnings"
    seconds = time.perf_counter() - start
    database.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_start
    peak_mb = _high_water_kb() / 1024
    return {"step": name, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "detail": detail}


def _high_water_kb() -> float:
    """Peak resident memory of this process image (``VmHWM``). ``ru_maxrss`` would not do: on
    Linux a child's includes its parent's size at fork, before ``exec``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(url: str, folder: Path, name: str) -> dict[str, object]:
    answer = subprocess.run(
        [sys.executable, __file__, "--child", name, "--url", url, "--folder", str(folder)],
        capture_output=True, text=True,
    )  # fmt: skip
    if answer.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{answer.stderr}")
    stages = [line for line in answer.stderr.splitlines() if line.startswith("claims: ")]
    result = dict(json.loads(answer.stdout.strip().splitlines()[-1]))
    return {**result, "stages": "; ".join(s.removeprefix("claims: ") for s in stages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger("accessplan.monitor.claims").setLevel(logging.INFO)
        print(json.dumps(step(args.url, Path(args.folder), args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        make_data(folder, args.households, args.claims, args.seed)
        print(f"data: {args.households:,} households, {args.claims:,} claims "
              f"({time.perf_counter() - start:.1f} s to generate)")  # fmt: skip
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min), cpus "
              f"{os.cpu_count()}")  # fmt: skip
        rows = []
        for backend in args.backends.split(","):
            url, cleanup = _database(backend, folder, args.postgres)
            try:
                for name in ("register", "claims", "evaluate"):
                    rows.append({"backend": backend, **run_child(url, folder, name)})
                    r = rows[-1]
                    line = (
                        f"{backend:>10} {name:>9}: {r['seconds']:6.1f} s {r['cpu']:6.1f} cpu s "
                        f"{r['peak_mb']:7.0f} MB  {r['detail']}  {r['stages']}"
                    )
                    print(line, flush=True)
            finally:
                cleanup()
        print()
        print("| backend | step | wall s | CPU s (client) | peak MB | what |")
        print("|---|---|---:|---:|---:|---|")
        for r in rows:
            print(f"| {r['backend']} | {r['step']} | {r['seconds']:.1f} | {r['cpu']:.1f} | "
                  f"{r['peak_mb']:.0f} | "
                  f"{r['detail']} |")  # fmt: skip
        print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")


def _database(backend: str, folder: Path, postgres: str) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'monitor.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})

    def cleanup() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), cleanup


if __name__ == "__main__":
    main()
