"""Print the pinned requirements of one role: pyproject's shared dependencies + its extras.

Used by docker/Dockerfile, so an image installs exactly `dependencies` + `[ROLE]` before the
source is copied (a source change does not reinstall PaddlePaddle). Extras that name the
distribution itself (`ocr-mesh[a,b]`) are expanded. Standard library only.

    python docker/requirements.py pyproject.toml ocr > requirements.txt
"""

from __future__ import annotations

import re
import sys
import tomllib


def requirements(project: dict[str, object], roles: list[str]) -> list[str]:
    """The shared dependencies plus every extra in roles (recursively), in order, no repeats."""
    name = str(project["name"])
    extras = project.get("optional-dependencies", {})
    assert isinstance(extras, dict)
    out: list[str] = [str(r) for r in project.get("dependencies", [])]  # type: ignore[attr-defined]
    seen: set[str] = set()

    def add(role: str) -> None:
        if role in seen:
            return
        if role not in extras:
            sys.exit(f"requirements: no extra {role!r} in pyproject.toml (have: {', '.join(extras)})")
        seen.add(role)
        for req in extras[role]:
            own = re.fullmatch(rf"{re.escape(name)}\[([^\]]+)\]", req.strip())
            if own:
                for sub in own.group(1).split(","):
                    add(sub.strip())
            elif req not in out:
                out.append(req)

    for role in roles:
        add(role)
    return out


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: requirements.py PYPROJECT [ROLE ...]")
    with open(sys.argv[1], "rb") as f:
        project = tomllib.load(f)["project"]
    print("\n".join(requirements(project, sys.argv[2:])))


if __name__ == "__main__":
    main()
