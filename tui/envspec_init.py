"""The real backend for a folder without a spec: ``envspec init``'s own steps.

:func:`draft_spec` calls :func:`envspec.init.propose`, the function the CLI's
``envspec init`` calls, and sums up for the wizard what the draft found;
:func:`write_spec` hands the same text to :func:`envspec.init.write_spec`,
which validates it again and never writes over a spec that appeared since.
"""

from __future__ import annotations

import re
from pathlib import Path

from envspec import init
from tui.models import SpecDraft

SHOWN_NAMES = 6  # env names listed in the summary; the draft lists them all


# TODO: init's errors carry the CLI's hints ("move it aside and run `envspec
# init` again"); the wizard's modal adds a line saying that r reads the
# project again, but the hint above it still names the command. The next
# step is the error-to-hint table the TODO in envspec_backend.py describes.
def draft_spec(directory: Path) -> SpecDraft:
    """The spec `envspec init` would write in ``directory``, not written."""
    proposal = init.propose(directory)
    return SpecDraft(
        proposal.path,
        proposal.text,
        tuple(proposal.read),
        found_rows(proposal.found),
        payload=proposal,
    )


def write_spec(directory: Path, draft: SpecDraft) -> Path:
    """Write a draft's text as the spec; SpecExists if one is there now."""
    return init.write_spec(directory.resolve(), draft.text)


def found_rows(found: init.Draft) -> tuple[tuple[str, str], ...]:
    """What a draft holds, one short line per part of the spec."""
    rows: list[tuple[str, str]] = []
    if found.versions:
        versions = ", ".join(str(f.value) for f in found.versions)
        rows.append(("Python", f"{versions} — {found.versions[0].source}"))

    packages = [str(f.value) for f in found.requirement_files]
    if found.packages:
        # A source names its file first: "pyproject.toml dependencies",
        # "requirements.txt:3".
        files = dict.fromkeys(re.split(r"[\s:]", f.source)[0] for f in found.packages)
        packages.append(f"{len(found.packages)} listed in {', '.join(files)}")
    rows.append(("Packages", "; ".join(packages) or "none found"))
    if found.index_url:
        rows.append(("Index", str(found.index_url.value)))

    services = [
        f"{s.name} ({s.image or ' '.join(filter(None, (s.kind, s.version)))})"
        for s in found.services
    ]
    rows.append(("Services", ", ".join(services) or "none found"))

    if found.command:
        ports = ", ".join(str(f.value) for f in found.ports)
        where = f" on port {ports}" if ports else ""
        rows.append(("App", f"{found.command.value}{where}"))
    else:
        rows.append(("App", "no command found: set app.command in the draft"))

    if found.env_names:
        names = [str(f.value) for f in found.env_names]
        shown = ", ".join(names[:SHOWN_NAMES])
        if len(names) > SHOWN_NAMES:
            shown += f" and {len(names) - SHOWN_NAMES} more"
        rows.append(("Env names", f"{shown} (values not copied)"))
    return tuple(rows)
