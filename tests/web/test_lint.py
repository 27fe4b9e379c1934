"""ESLint over web/ (config: eslint.config.js, pinned in package-lock.json): any finding fails.

`scripts/bootstrap --test` (run by `make test`) installs the packages with `npm ci`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ESLINT = ROOT / "node_modules" / "eslint" / "bin" / "eslint.js"


def run_eslint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the pinned ESLint with node from the repo root, JSON report on stdout."""
    node = shutil.which("node")
    assert node, "node not found: run scripts/bootstrap --test"
    assert ESLINT.is_file(), f"{ESLINT} missing: run scripts/bootstrap --test (npm ci)"
    return subprocess.run(
        [node, str(ESLINT), "--format", "json", "--max-warnings", "0", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def findings(report: str) -> list[str]:
    """One line per ESLint message: file:line:col rule message."""
    out = []
    for entry in json.loads(report):
        rel = Path(entry["filePath"]).relative_to(ROOT)
        for m in entry["messages"]:
            out.append(f"{rel}:{m.get('line')}:{m.get('column')} {m.get('ruleId')} {m['message']}")
    return out


def test_eslint_finds_nothing_in_web() -> None:
    proc = run_eslint("web/")
    assert proc.stdout, proc.stderr
    report = json.loads(proc.stdout)
    linted = {Path(e["filePath"]).name for e in report}
    assert {"main.js", "api.js", "i18n.js"} <= linted, linted  # the config really reads web/
    problems = findings(proc.stdout)
    assert not problems, "ESLint findings:\n" + "\n".join(problems)
    assert proc.returncode == 0, proc.stderr


def test_eslint_config_catches_a_mistake() -> None:
    """The check can fail: a module of web/ with an undefined name and eval is reported."""
    bad = "export function f() {\n  return eval(notDefined);\n}\n"
    proc = run_eslint("--stdin", "--stdin-filename", "web/bad.js", stdin=bad)
    rules = {line.split()[1] for line in findings(proc.stdout)}
    assert {"no-undef", "no-eval"} <= rules, proc.stdout + proc.stderr
    assert proc.returncode == 1
