"""Assemble docs/evaluation.md from the reports `ownvoice eval` wrote (never from typed-in numbers).

    python packaging/evaluation_doc.py .bench docs/evaluation.md

reads .bench/eval-USER-{subject,playback}/report.md and .bench/eval-USER-fidelity/fidelity.md for the
Panza users, and copies each chart next to the document.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

USERS = ("david", "isabel")


def section(bench: Path, user: str, out_dir: Path) -> str:
    """The user's tables: both protocols and fidelity."""
    parts = []
    for protocol in ("subject", "playback"):
        report = bench / f"eval-{user}-{protocol}" / "report.md"
        if report.exists():
            text = report.read_text()
            parts.append("#" + text)  # one level down
            chart = report.parent / "chart.png"
            if chart.exists():
                name = f"evaluation-{user}-{protocol}.png"
                shutil.copy(chart, out_dir / name)
                parts.append(f"![{user} {protocol}]({name})\n")
        else:
            parts.append(f"### {user} ({protocol} protocol): not run\n")
    fidelity = bench / f"eval-{user}-fidelity" / "fidelity.md"
    parts.append(
        fidelity.read_text() if fidelity.exists() else f"### Instruction fidelity: {user}: not run\n"
    )
    return "\n".join(parts)


def main() -> None:
    bench, target = Path(sys.argv[1]), Path(sys.argv[2])
    head = (Path(__file__).with_name("evaluation_head.md")).read_text()
    body = "\n".join(f"## {u}\n\n" + section(bench, u, target.parent) for u in USERS)
    target.write_text(head.rstrip() + "\n\n" + body)


if __name__ == "__main__":
    main()
