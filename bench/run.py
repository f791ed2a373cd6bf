"""Run every bench/bench_*.py and print their figures as one JSON object.

Each benchmark is a script that prints one JSON object on its last line of stdout.
``python bench/run.py calendar mail`` runs only the named ones.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    results: dict[str, object] = {}
    failed = False
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if selected and name not in selected:
            continue
        print(f"running {name}…", file=sys.stderr, flush=True)
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        completed = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, env=env
        )
        lines = [line for line in completed.stdout.splitlines() if line.strip()]
        if completed.returncode != 0 or not lines:
            failed = True
            results[name] = {"error": (completed.stderr or "no output").strip().splitlines()[-5:]}
            continue
        results[name] = json.loads(lines[-1])
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
