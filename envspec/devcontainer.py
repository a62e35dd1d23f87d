"""The Dev Containers files: open the project inside envspec's app container.

With ``generate.devcontainer = true`` the project gets, at its root,
``.devcontainer/devcontainer.json`` (where VS Code and other Dev Containers
clients look for it) and ``.devcontainer/compose.yaml``, a compose override
that bind-mounts the project over the copy in the image. The JSON names the
generated compose file first, so the editor starts exactly the stack that
``envspec up`` starts, under the same project name.

:func:`render_files` is pure, like :func:`envspec.render.render`: the same
spec, lock hash and renderer give the same bytes, each file with envspec's
header.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath
from typing import Any

from envspec import header
from envspec.paths import templates_dir
from envspec.render import COMPOSE, yaml_str
from envspec.spec import Spec

FOLDER = ".devcontainer"
JSON_PATH = f"{FOLDER}/devcontainer.json"
OVERRIDE_PATH = f"{FOLDER}/compose.yaml"
PATHS = (JSON_PATH, OVERRIDE_PATH)
TEMPLATES = ("devcontainer.json.j2", "devcontainer-compose.yaml.j2")


def render_files(spec: Spec, lock_hash: str, renderer: str) -> dict[str, bytes]:
    """The devcontainer files by their path relative to the project root.

    Empty when the spec does not ask for them (``generate.devcontainer``).
    """
    if not spec.devcontainer:
        return {}
    # Paths in devcontainer.json are relative to its folder; paths in the
    # override are relative to the first compose file's folder (the output).
    compose = PurePosixPath("..", spec.output, COMPOSE).as_posix()
    up_to_root = PurePosixPath(os.path.relpath(".", spec.output)).as_posix()

    document = _render(
        "devcontainer.json.j2",
        name=json.dumps(spec.name),
        compose_files=[json.dumps(compose), json.dumps("compose.yaml")],
        run_services=[
            json.dumps(n) for n in ["app", *sorted(s.name for s in spec.services)]
        ],
        workdir=json.dumps(spec.app.workdir),
    )
    override = _render(
        "devcontainer-compose.yaml.j2",
        source=yaml_str(up_to_root),
        workdir=yaml_str(spec.app.workdir),
    )
    return {
        JSON_PATH: header.add_json_header(document, lock_hash, renderer),
        OVERRIDE_PATH: header.add_comment_header(override, lock_hash, renderer),
    }


def _render(template: str, **values: Any) -> bytes:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # JSON and YAML, quoted before they get here
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(template).render(**values).encode("utf-8")
