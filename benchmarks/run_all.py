"""Run every benchmark in this folder, one after another (`make bench`).

Each prints its own ratios against a baseline measured in the same run."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
for script in sorted(here.glob("*.py")):
    if script.name == "run_all.py":
        continue
    print(f"== {script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], check=False)
for script in sorted(here.glob("*.sh")):
    print(f"== {script.name}", flush=True)
    subprocess.run(["bash", str(script)], check=False)
