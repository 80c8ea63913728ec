"""HubSpot write-back against HubSpot's burst limit, on the fake HubSpot of the tests.

    python benchmarks/hubspot.py [--records 20000] [--repeat 1]      # about 1.5 minutes

HubSpot allows a Free/Starter private app 100 requests per rolling 10 s; a batch update
carries 100 records. Writing 20,000 records therefore cannot take less than
20,000 / 100 / (100 per 10 s) = 20 s: the floor. Both parts run against
tests/hubspot_fake.FakeHubSpot with that limit (set_rate_limit(100, 10)); the figures come
from the fake's request log, so they count what HubSpot would have received.

1. Writer: HubSpotConnector.writer("contacts", persona + job_title outputs) (property
   provisioning included), then write() of ChangeSets of 10,000 records, as the engine
   hands them, then commit(). Requests, records per batch update, 429s, time from the
   first to the last batch update and of the whole write, each / the floor. Target:
   ratio <= 1.15, 0 429s, >= 99 records per batch update. Afterwards every record in the
   fake is compared with the values written: 0 mismatches, or the figure means nothing.
2. Sync: one ``enrich --json sync`` of those contacts (+ a few hundred companies) through
   the CLI against a fresh fake with the same limit: requests, 429s and time against that
   run's own floor, its total requests / 10 per second.

A rolling window admits the first 100 calls at once, so a client that paces well can come
in under "N requests / 10 per s"; the exact minimum for N requests in a row is
(ceil(N / 100) - 1) x 10 s plus their own latency.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the fake HubSpot lives with the tests
from crm_enrich.connectors.hubspot import BATCH, HubSpotConnector, Settings
from crm_enrich.plugins.job_title import JobTitle
from crm_enrich.plugins.persona import PersonaScorer
from crm_enrich.protocols import ChangeSet, PluginContext
from hubspot_fake import DEFAULT_TOKEN, FakeHubSpot

ENRICH = [sys.executable, "-c", "from crm_enrich.cli import main; main()"]  # the `enrich` command
TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"
PLUGINS = "files,icp,employee_band,job_title,email_type,contact_country,persona,hubspot"
LIMIT, WINDOW = 100, 10.0  # HubSpot's documented burst limit (Free/Starter): 100 per rolling 10 s
RATE = LIMIT / WINDOW  # 10 requests per second, sustained
ENGINE_BATCH = 10_000  # records per ChangeSet, as the engine hands them to write()
FIELDS = {**JobTitle.outputs, **PersonaScorer.outputs}  # seniority, department, persona, priority, reasons

TITLES = ["CEO", "VP Sales", "Head of Marketing", "Software Engineer", "Account Executive", "CTO",
          "Directeur Commercial", "Leiter Vertrieb", "Data Scientist", "Office Manager", "Intern",
          "Marketing Manager", "IT-Leiter", "Founder & CEO", "Sr. Mktg Mgr", "Jefe de Ventas"]
INDUSTRIES = ["COMPUTER_SOFTWARE", "INTERNET", "RETAIL", "FINANCIAL_SERVICES", "TELECOMMUNICATIONS"]
SYNC_CONFIG = """\
connector = "hubspot"
enrichers = ["employee_band", "job_title", "email_type", "contact_country"]
scorers = ["icp", "persona"]

[plugins.hubspot]
token = {{ env = "{token_env}" }}
base_url = "{base_url}"
requests_per_10s = {limit}

[plugins.persona]
target_departments = ["sales", "marketing"]

"""
# the ICP of the main benchmark's pipeline (benchmarks/plugins.toml), not a second copy
ICP = (Path(__file__).parent / "plugins.toml").read_text().split("[plugins.icp.tiers]", 1)[1]


# -- what is written -----------------------------------------------------------------------------

def value(name: str, i: int) -> str:
    """Record i's value for an output: a valid option for enumerations, varied across records."""
    field = FIELDS[name]
    if field.options:
        stride = {"seniority": 1, "department": 3, "persona": 5, "priority": 7}.get(name, 1)
        return field.options[(i * stride + i // len(field.options)) % len(field.options)]
    return f"benchmark record {i}: {name.replace('_', ' ')}"


def changesets(ids: list[str]):
    """The ChangeSets the engine would hand write(): id + every output, every field changed."""
    for start in range(0, len(ids), ENGINE_BATCH):
        chunk = ids[start:start + ENGINE_BATCH]
        rows = range(start, start + len(chunk))
        table = pa.table({"id": pa.array(chunk, pa.string()),
                          **{n: pa.array([value(n, i) for i in rows], FIELDS[n].type) for n in FIELDS}})
        changed = pa.table({n: pa.array([True] * len(chunk), pa.bool_()) for n in FIELDS})
        yield ChangeSet("contacts", table, changed)


def mismatches(fake: FakeHubSpot, connector: HubSpotConnector, ids: list[str]) -> int:
    """Records whose properties in the fake differ from what was written (or are missing)."""
    held = {r["hs_object_id"]: r for r in fake.records("contacts")}
    names = {n: connector.property_of("contacts", n) for n in FIELDS}
    return sum(1 for i, record_id in enumerate(ids)
               if any(held.get(record_id, {}).get(p) != value(n, i) for n, p in names.items()))


# -- the request log -----------------------------------------------------------------------------

def span(requests) -> float:
    """Seconds from the first request's arrival to the last one's answer."""
    return max(r.at + r.duration for r in requests) - min(r.at for r in requests) if requests else 0.0


def window_spacing(requests) -> float | None:
    """Median seconds between request k and request k+100 (all admitted ones count against the
    window): 10.0 is a client that refills the window the moment it frees."""
    admitted = sorted(r.at for r in requests if r.status != 429)
    gaps = [b - a for a, b in zip(admitted, admitted[LIMIT:])]
    return statistics.median(gaps) if gaps else None


def rolling_minimum(n: int) -> float:
    """The least time n requests in a row can take under the window, latency aside."""
    return (math.ceil(n / LIMIT) - 1) * WINDOW if n else 0.0


def throttled(fake: FakeHubSpot) -> str:
    refused = [r for r in fake.requests if r.status == 429]
    if not refused:
        return "none"
    kinds = Counter(r.operation for r in refused)
    return ", ".join(f"{n} {op}" for op, n in kinds.items()) + " at " + ", ".join(f"{r.at:.2f}" for r in refused[:8]) + " s"


# -- 1. the writer -------------------------------------------------------------------------------

def write_round(records: int) -> dict:
    with FakeHubSpot() as fake:
        fake.set_rate_limit(LIMIT, WINDOW)
        ids = fake.seed("contacts", records)
        # The token goes through Settings as plugins.toml gives it: { env = "..." } -> Secret(env, value).
        os.environ[TOKEN_ENV] = DEFAULT_TOKEN
        settings = Settings.model_validate({"token": {"env": TOKEN_ENV}, "base_url": fake.base_url,
                                            "requests_per_10s": LIMIT})
        quarantined = []
        connector = HubSpotConnector(settings, PluginContext(Path(tempfile.gettempdir()), quarantined.append))
        sets = list(changesets(ids))  # built before the clock starts: the engine's work, not the writer's
        started = time.perf_counter()
        writer = connector.writer("contacts", FIELDS)
        for changes in sets:
            writer.write(changes)
        writer.commit()
        client_seconds = time.perf_counter() - started
        log = fake.requests
        updates = [r for r in log if r.operation == "batchUpdateObjects"]
        landed = [r for r in updates if r.status == 200]
        return {
            "requests": len(log), "updates": len(updates), "landed": len(landed),
            "provisioning": Counter(r.operation for r in log if r.operation != "batchUpdateObjects"),
            "per_update": records / len(landed) if landed else 0.0,
            "update_bytes": statistics.median(r.body_size for r in landed) if landed else 0,
            "throttled": fake.count(status=429), "throttled_detail": throttled(fake),
            "update_span": span(updates), "write_span": span(log), "client_seconds": client_seconds,
            "spacing": window_spacing(log), "quarantined": len(quarantined),
            "mismatches": mismatches(fake, connector, ids), "violations": len(fake.violations),
        }


# -- 2. a whole sync through the CLI -------------------------------------------------------------

def seed_crm(fake: FakeHubSpot, companies: int, contacts: int) -> None:
    company_ids = fake.seed("companies", [
        {"name": f"Company {i}", "domain": f"company{i}.com", "industry": INDUSTRIES[i % len(INDUSTRIES)],
         "numberofemployees": str(5 + (i * 37) % 9000), "annualrevenue": str(250_000 * (1 + i % 400)),
         "country": ("US", "DE", "FR", "GB", "BR")[i % 5],
         **({"web_technologies": ("salesforce;aws", "hubspot", "shopify")[i % 3]} if i % 4 else {})}
        for i in range(companies)
    ])
    contact_ids = fake.seed("contacts", [
        {"email": f"person{i}@{'gmail.com' if i % 9 == 0 else f'company{i % companies}.com'}",
         "firstname": "Person", "lastname": str(i), "jobtitle": TITLES[i % len(TITLES)],
         **({"country": ("US", "DE", "FR")[i % 3]} if i % 2 else {})}
        for i in range(contacts)
    ])
    for i, contact in enumerate(contact_ids):
        fake.associate(contact, company_ids[i % companies], primary=True)


def sync_round(companies: int, contacts: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="crm-enrich-hubspot-bench-"))
    try:
        with FakeHubSpot() as fake:
            fake.set_rate_limit(LIMIT, WINDOW)
            seed_crm(fake, companies, contacts)
            (work / "plugins.toml").write_text(
                SYNC_CONFIG.format(token_env=TOKEN_ENV, base_url=fake.base_url, limit=LIMIT) + "[plugins.icp.tiers]" + ICP
            )
            env = {**os.environ, TOKEN_ENV: DEFAULT_TOKEN, "CRM_ENRICH_PLUGINS": PLUGINS}
            started = time.perf_counter()
            done = subprocess.run([*ENRICH, "--json", "sync"], cwd=work, env=env, capture_output=True, text=True,
                                  check=False, timeout=900)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"enrich sync exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            figures = json.loads(done.stdout.splitlines()[-1])["figures"]
            log = fake.requests
            unlabelled = sum(1 for r in fake.records("contacts") if not r.get("enrich_persona") or not r.get("enrich_priority"))
            unlabelled += sum(1 for r in fake.records("companies") if not r.get("enrich_icp_tier"))
            return {
                "requests": len(log), "by_operation": Counter(r.operation for r in log),
                "throttled": fake.count(status=429), "throttled_detail": throttled(fake),
                "span": span(log), "process_seconds": seconds, "spacing": window_spacing(log),
                "written": {t: f.get("written") for t, f in figures.items()},
                "quarantined": sum(f.get("quarantined", 0) for f in figures.values()),
                "unlabelled": unlabelled, "violations": len(fake.violations),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- the printout ----------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report_write(records: int, rounds: list[dict]) -> None:
    floor = math.ceil(records / BATCH) / RATE
    median = lambda key: statistics.median(r[key] for r in rounds)
    first = rounds[0]
    update_span, write_span = median("update_span"), median("write_span")
    provisioning = ", ".join(f"{n} {op}" for op, n in first["provisioning"].items())
    print(f"\n1. writer: {records:,} contacts, {len(FIELDS)} fields each "
          f"({', '.join(FIELDS)}), ChangeSets of {ENGINE_BATCH:,}"
          + (f" (median of {len(rounds)} rounds)" if len(rounds) > 1 else ""))
    print(f"  requests                        {first['requests']:8,}   ({provisioning}; "
          f"{first['updates']:,} batch updates)")
    print(f"  records per batch update        {first['per_update']:8.1f}   (target >= 99; "
          f"median body {first['update_bytes'] / 1024:.1f} KiB)  {verdict(first['per_update'] >= 99)}")
    print(f"  429s                            {sum(r['throttled'] for r in rounds):8}   (target 0: "
          f"{first['throttled_detail']})  {verdict(all(r['throttled'] == 0 for r in rounds))}")
    print(f"  floor {records:,} / {BATCH} per call / {RATE:g} per s  {floor:8.2f} s")
    print(f"  first to last batch update      {update_span:8.2f} s   ratio {update_span / floor:5.2f}  "
          f"(target <= 1.15)  {verdict(update_span / floor <= 1.15)}")
    print(f"  whole write, with provisioning  {write_span:8.2f} s   ratio {write_span / floor:5.2f}  "
          f"(target <= 1.15)  {verdict(write_span / floor <= 1.15)}   "
          f"[client side {median('client_seconds'):.2f} s]")
    print(f"  batch updates per second        {first['updates'] / update_span:8.2f}     (over the run, first to "
          f"last; the limit sustains {RATE:g}/s)")
    if first["spacing"] is not None:
        print(f"  request k to request k+{LIMIT}      {median('spacing'):8.2f} s   (median; {WINDOW:g} s = the "
              f"window refilled as soon as it frees: {LIMIT / median('spacing'):.2f} requests/s sustained)")
    print(f"  rolling-window minimum          {rolling_minimum(first['requests']):8.2f} s   (N requests need only "
          f"(ceil(N/{LIMIT}) - 1) x {WINDOW:g} s: the first {LIMIT} go at once, so a well-paced client can "
          f"come in under the floor)")
    print(f"  check: {sum(r['mismatches'] for r in rounds)} of {records:,} records differ from what was "
          f"written; {sum(r['quarantined'] for r in rounds)} quarantined; "
          f"{sum(r['violations'] for r in rounds)} contract violations  "
          f"{verdict(all(r['mismatches'] == 0 and r['violations'] == 0 for r in rounds))}")


def report_sync(companies: int, contacts: int, rounds: list[dict]) -> None:
    first = rounds[0]
    median = lambda key: statistics.median(r[key] for r in rounds)
    floor = first["requests"] / RATE
    operations = ", ".join(f"{n} {op}" for op, n in first["by_operation"].most_common())
    print(f"\n2. enrich --json sync: {contacts:,} contacts + {companies:,} companies, first run "
          f"(every record read and written)" + (f" (median of {len(rounds)} rounds)" if len(rounds) > 1 else ""))
    print(f"  requests                        {first['requests']:8,}   ({operations})")
    print(f"  written                         {', '.join(f'{t} {n:,}' for t, n in first['written'].items())}; "
          f"{first['quarantined']} quarantined; {first['unlabelled']} records left unlabelled")
    print(f"  429s                            {sum(r['throttled'] for r in rounds):8}   (target 0: "
          f"{first['throttled_detail']})  {verdict(all(r['throttled'] == 0 for r in rounds))}")
    print(f"  floor {first['requests']:,} requests / {RATE:g} per s   {floor:8.2f} s")
    print(f"  first to last request           {median('span'):8.2f} s   ratio {median('span') / floor:5.2f}  "
          f"(target <= 1.15)  {verdict(median('span') / floor <= 1.15)}   "
          f"[process {median('process_seconds'):.2f} s]")
    if first["spacing"] is not None:
        print(f"  request k to request k+{LIMIT}      {median('spacing'):8.2f} s   (median: "
              f"{LIMIT / median('spacing'):.2f} requests/s sustained)")
    print(f"  rolling-window minimum          {rolling_minimum(first['requests']):8.2f} s   "
          f"({sum(r['violations'] for r in rounds)} contract violations)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="contacts written and synced")
    parser.add_argument("--companies", type=int, default=300, help="companies in the sync")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=["write", "sync"])
    args = parser.parse_args()
    print(f"fake HubSpot, burst limit {LIMIT} requests per rolling {WINDOW:g} s; client requests_per_10s = {LIMIT}",
          flush=True)
    writes, syncs = [], []
    for i in range(args.repeat):
        if args.only != "sync":
            writes.append(write_round(args.records))
            w = writes[-1]
            print(f"  round {i + 1}: writer {w['write_span']:.2f} s, {w['requests']} requests, "
                  f"{w['throttled']} 429s", flush=True)
        if args.only != "write":
            syncs.append(sync_round(args.companies, args.records))
            s = syncs[-1]
            print(f"  round {i + 1}: sync {s['span']:.2f} s, {s['requests']} requests, {s['throttled']} 429s", flush=True)
    if writes:
        report_write(args.records, writes)
    if syncs:
        report_sync(args.companies, args.records, syncs)


if __name__ == "__main__":
    main()
