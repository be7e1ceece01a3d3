"""No identical run of six or more code lines repeats in the application code: a rule
written twice drifts (migrations, which are history, and the demo's story texts aside).

Lines are compared with their white space folded; blank lines, comments, imports and
lone brackets are passed over, as the `duplicates` tool does. Code alike only in shape
(the same structure with other names) is not counted: that is a place to look, not a
failure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("arbitration", "cases", "evidence", "analytics", "templates")
RUN = 6
SKIPPED_DIRS = {"migrations", "demo", "__pycache__"}
LONE = re.compile(r"[\s()\[\]{},:;]*")


def _code_lines(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = " ".join(line.split())
        if not text or text.startswith(("#", "import ", "from ", "{#")) or LONE.fullmatch(text):
            continue
        found.append((number, text))
    return found


def repeated_runs(paths: list[Path], root: Path = ROOT) -> list[str]:
    places: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in paths:
        lines = _code_lines(path)
        for start in range(len(lines) - RUN + 1):
            run = tuple(text for _n, text in lines[start : start + RUN])
            places[run].append(f"{path.relative_to(root)}:{lines[start][0]}")
    return sorted(" ~ ".join(p[:3]) for p in places.values() if len(p) > 1)


def test_no_identical_run_of_six_lines_repeats_in_the_application_code() -> None:
    paths = [
        path
        for source in SOURCES
        for path in (ROOT / source).rglob("*")
        if path.suffix in (".py", ".html") and not SKIPPED_DIRS & set(path.parts)
    ]
    assert repeated_runs(paths) == []


def test_the_finder_finds_a_repeated_run(tmp_path: Path) -> None:
    body = "\n".join(f"x{i} = compute({i})" for i in range(6))
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text(body + "\n")
    two.write_text("# a comment\n\n" + body.replace("\n", "\n\n") + "\n")
    assert repeated_runs([one, two], root=tmp_path) == ["one.py:1 ~ two.py:3"]
