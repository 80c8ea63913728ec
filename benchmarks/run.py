"""crm-enrich benchmarks: the engine against a hand-written polars script, and streaming memory.

    pip install -e '.[bench]' && python benchmarks/run.py

1. Speed: 1,000,000 contacts and 200,000 companies in Parquet. ``enrich sync`` (ICP scoring,
   employee bands, the company join, the diff against what the files hold, write to
   Parquet) against benchmarks/handwritten.py doing the same scoring and join, each in its
   own process, alternating, median of ``--repeat`` runs. Target: ratio <= 1.5.
   Also: a second, unchanged sync (reads, scores, diffs, writes nothing).
2. Memory: peak RSS of a run over 5x the contacts (and companies) against the 1x run.
   Target: ratio <= 2 (memory follows the batch size, not the CRM size).

Figures are ratios measured in the same run, because these machines are noisy.
Generated data is cached under benchmarks/.data/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

ENRICH = [sys.executable, "-c", "from crm_enrich.cli import main; main()"]
CONFIG = HERE / "plugins.toml"


def dataset(companies: int, contacts: int) -> tuple[Path, Path]:
    folder = HERE / ".data" / f"{companies}-{contacts}"
    done = folder / ".complete"
    if not done.exists():
        print(f"generating {companies:,} companies and {contacts:,} contacts ...", flush=True)
        generate(folder, companies, contacts, seed=1)
        done.touch()
    return folder / "companies.parquet", folder / "contacts.parquet"


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process."""
    env = {**os.environ, "CRM_ENRICH_PLUGINS": "files,icp,employee_band"}
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed:\n{child.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def engine_workspace(batch_size: int) -> Path:
    """A folder with the benchmark's plugins.toml; fresh() puts the data files in it."""
    work = Path(tempfile.mkdtemp(prefix="crm-enrich-bench-"))
    (work / "plugins.toml").write_text(CONFIG.read_text().replace("@BATCH@", str(batch_size)))
    return work


def fresh(work: Path, companies: Path, contacts: Path) -> None:
    """Unlabelled copies of the data and no state: a first sync labels every record."""
    shutil.rmtree(work / ".enrich", ignore_errors=True)
    shutil.copyfile(companies, work / "companies.parquet")
    shutil.copyfile(contacts, work / "contacts.parquet")


def same_labels(engine_out: Path, script_out: Path) -> str:
    """Both must produce the same scores and tiers, or the comparison means nothing."""
    a = pl.read_parquet(engine_out / "companies.parquet", columns=["id", "icp_score", "icp_tier"])
    b = pl.read_parquet(script_out / "companies.parquet", columns=["id", "icp_score", "icp_tier"])
    joined = a.join(b, on="id", suffix="_hand")
    differing = joined.filter(
        (pl.col("icp_score") != pl.col("icp_score_hand")) | (pl.col("icp_tier") != pl.col("icp_tier_hand"))
    ).height
    c = pl.read_parquet(engine_out / "contacts.parquet", columns=["id", "icp_tier"])
    d = pl.read_parquet(script_out / "contacts.parquet", columns=["id", "icp_tier"])
    contacts = c.join(d, on="id", suffix="_hand")
    contacts_differing = contacts.filter(pl.col("icp_tier").ne_missing(pl.col("icp_tier_hand"))).height
    return (f"{joined.height:,} companies, {differing} with another score or tier; "
            f"{contacts.height:,} contacts, {contacts_differing} with another tier")


def speed(args) -> None:
    companies, contacts = dataset(args.companies, args.contacts)
    work = engine_workspace(args.batch_size)
    script_out = work / "handwritten"
    engine_times, script_times, rerun_times = [], [], []
    for i in range(args.repeat):
        fresh(work, companies, contacts)
        seconds, _ = measure([*ENRICH, "sync"], work)
        engine_times.append(seconds)
        seconds, _ = measure([*ENRICH, "sync"], work)  # nothing changed: writes nothing
        rerun_times.append(seconds)
        seconds, _ = measure([sys.executable, str(HERE / "handwritten.py"), str(companies), str(contacts), str(script_out)], work)
        script_times.append(seconds)
        print(f"  round {i + 1}: engine {engine_times[-1]:.2f} s, unchanged re-run {rerun_times[-1]:.2f} s, "
              f"hand-written {script_times[-1]:.2f} s", flush=True)
    print("  check: " + same_labels(work, script_out))
    engine, script, rerun = (statistics.median(t) for t in (engine_times, script_times, rerun_times))
    # each engine run is paired with the hand-written run of the same round: drift cancels
    ratios = sorted(e / h for e, h in zip(engine_times, script_times))
    records = args.companies + args.contacts
    print(f"\nspeed, {args.contacts:,} contacts + {args.companies:,} companies (median of {args.repeat}):")
    print(f"  engine (first sync, writes all)   {engine:7.2f} s  {records / engine:12,.0f} records/s")
    print(f"  engine (unchanged re-run)          {rerun:7.2f} s  {records / rerun:12,.0f} records/s")
    print(f"  hand-written polars                {script:7.2f} s  {records / script:12,.0f} records/s")
    print(f"  ratio engine / hand-written        {statistics.median(ratios):7.2f}   "
          f"(median of rounds, range {ratios[0]:.2f}-{ratios[-1]:.2f}; target <= 1.50)")
    shutil.rmtree(work, ignore_errors=True)


def memory(args) -> None:
    small = dataset(args.companies, args.contacts)
    big = dataset(args.companies * args.factor, args.contacts * args.factor)
    peaks = []
    for companies, contacts in (small, big):
        work = engine_workspace(args.batch_size)
        fresh(work, companies, contacts)
        _, peak = measure([*ENRICH, "sync"], work)
        peaks.append(peak)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmemory, peak RSS of a first sync (batch size {args.batch_size:,}):")
    print(f"  {args.contacts:>11,} contacts, {args.companies:>9,} companies  {peaks[0]:8.0f} MiB")
    print(f"  {args.contacts * args.factor:>11,} contacts, {args.companies * args.factor:>9,} companies  {peaks[1]:8.0f} MiB")
    print(f"  ratio {args.factor}x data / 1x data             {peaks[1] / peaks[0]:8.2f}   (target <= 2.00)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--factor", type=int, default=5, help="size of the memory run, x the base")
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--only", choices=["speed", "memory"])
    args = parser.parse_args()
    if args.only != "memory":
        speed(args)
    if args.only != "speed":
        memory(args)


if __name__ == "__main__":
    main()
