"""How long `oa backup` and `oa restore` take on a data directory (the demo: `oa demo [--scale N]` first).

Run by hand:  python bench/backup.py DATA_DIR   (results go into BENCHMARKS.md)

Times the two commands as an operator runs them (wall clock, process start included) and prints what
the backup's manifest says of its own read: documents, collections, seconds inside the read transaction
or snapshot session, and the backup's size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(*args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the data directory to back up (its servers are started or used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oa-bench-backup-") as scratch:
        backup_dir, target = Path(scratch) / "backup", Path(scratch) / "restored"
        backup_s = timed("backup", str(backup_dir), "--data-dir", str(args.data_dir))
        manifest = json.loads((backup_dir / "manifest.json").read_text())
        size = sum(path.stat().st_size for path in backup_dir.rglob("*") if path.is_file())
        restore_s = timed("restore", str(backup_dir), "--data-dir", str(target))
    consistency = manifest["consistency"]
    print(f"server: {manifest['source']['server']}; method: {consistency['method']}")
    print(f"{consistency['documents']} documents in {len(manifest['collections'])} collections, "
          f"{manifest['objects']['count']} objects; backup {size / 1e6:.1f} MB")
    print(f"read as of one moment in {consistency['seconds']} s; oa backup {backup_s:.1f} s; "
          f"oa restore {restore_s:.1f} s (wall clock, process start included)")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
