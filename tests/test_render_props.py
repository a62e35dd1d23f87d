"""Property tests: no value from a spec can break out of its place.

Values full of `$`, quotes, newlines, `#`, backslashes, YAML words and
Unicode line separators go into env tables, commands, health checks and
service names; the generated compose file is parsed back and each value
must come back exactly (after compose's `$$` → `$`), with no extra keys.
"""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.parse

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_fixtures import fake_lock, load

from envspec import render
from envspec.spec import AppSpec, ServiceSpec, Spec

NASTY = ["$HOME", "${X:-y}", "$$", "$", "'", '"', "\\", "\\n", "\n", "\r\n", "#",
         " # c", "yes", "no", "null", "~", "true", "- a", "a: b", "{x}", "[1]",
         "\u2028", "\u0085", "\ufeff", "&a", "*a", "!tag", "%", "@", "`", "|",
         ">", "\t", "😀", ""]

text = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=30),
    st.lists(st.sampled_from(NASTY), max_size=5).map("".join),
)
env_name = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z")
service_name = st.from_regex(r"\A[a-z][a-z0-9_-]{0,20}\Z").filter(
    lambda n: n != "app")
words = st.lists(text, min_size=1, max_size=4).map(tuple)

_BASE = load("django-drf")[0]


def _unescape(value: str) -> str:
    """What compose makes of a literal value: `$$` is one `$`, no lone `$` left."""
    assert "$" not in value.replace("$$", "")
    return value.replace("$$", "$")


def _render(spec: Spec) -> dict[str, bytes]:
    return render.render(spec, fake_lock(spec))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(env=st.dictionaries(env_name, text, max_size=6), test=words,
       health=text.filter(lambda t: t.strip() != ""), name=service_name,
       svc_env=st.dictionaries(env_name, text, max_size=4), command=words)
def test_values_round_trip_through_compose(env: dict[str, str], test: tuple[str, ...],
                                           health: str, name: str,
                                           svc_env: dict[str, str],
                                           command: tuple[str, ...]) -> None:
    """App env, test command, a custom service's env, command and health check all read back exactly."""
    env.pop("DATABASE_URL", None)
    custom = ServiceSpec(name=name, kind="image", version=None, image="busybox:1",
                         env=tuple(sorted(svc_env.items())), healthcheck=health,
                         command=command)
    spec = dataclasses.replace(
        _BASE, services=(custom,),
        app=dataclasses.replace(_BASE.app, env=tuple(sorted(env.items())), test=test))
    compose = yaml.safe_load(_render(spec)[render.COMPOSE])

    assert set(compose) == {"name", "services", "secrets"}
    assert set(compose["services"]) == {"app", "app-py3.12", name}
    for app_name in ("app", "app-py3.12"):
        app = compose["services"][app_name]
        got = {k: _unescape(v) for k, v in app.get("environment", {}).items()}
        assert got == env
        assert app["depends_on"] == {name: {"condition": "service_healthy"}}
    matrix = compose["services"]["app-py3.12"]
    assert [_unescape(w) for w in matrix["command"]] == list(test)
    assert set(matrix) == {"image", "build", "profiles", "command", "environment",
                           "depends_on"} - (set() if env else {"environment"})

    svc = compose["services"][name]
    assert {k: _unescape(v) for k, v in svc.get("environment", {}).items()} == svc_env
    assert [_unescape(w) for w in svc["command"]] == list(command)
    assert svc["healthcheck"]["test"][0] == "CMD-SHELL"
    assert _unescape(svc["healthcheck"]["test"][1]) == health
    assert set(svc) <= {"image", "command", "environment", "healthcheck"}


@settings(max_examples=150, deadline=None)
@given(command=words)
def test_app_command_stays_one_exec_form_line(command: tuple[str, ...]) -> None:
    """The app command becomes exactly one CMD line whose JSON array is the command."""
    spec = dataclasses.replace(_BASE, app=AppSpec(command=command))
    text = _render(spec)["Dockerfile.py3.13"].decode()
    cmd_lines = [line for line in text.split("\n") if line.startswith("CMD ")]
    assert len(cmd_lines) == 1
    assert json.loads(cmd_lines[0][4:]) == list(command)
    # Nothing else moved: the instructions are those of a command-less render.
    plain = _render(dataclasses.replace(_BASE, app=AppSpec()))["Dockerfile.py3.13"]
    instructions = [re.split(r"\s", line)[0] for line in text.split("\n")
                    if re.match(r"^[A-Z]+ ", line)]
    plain_instr = [re.split(r"\s", line)[0] for line in plain.decode().split("\n")
                   if re.match(r"^[A-Z]+ ", line)]
    assert instructions == [*plain_instr, "CMD"]


@settings(max_examples=100, deadline=None)
@given(env=st.dictionaries(st.sampled_from(["POSTGRES_USER", "POSTGRES_DB",
                                            "POSTGRES_PASSWORD", "OTHER"]), text,
                           min_size=1))
def test_catalog_service_env_overrides_stay_in_place(env: dict[str, str]) -> None:
    """A postgres service's own env values read back exactly, and its URL stays one value."""
    db = dataclasses.replace(_BASE.services[0], env=tuple(sorted(env.items())))
    spec = dataclasses.replace(_BASE, services=(db,))
    compose = yaml.safe_load(_render(spec)[render.COMPOSE])
    got = compose["services"]["db"]["environment"]
    for key, value in env.items():
        assert _unescape(got[key]) == value
    assert set(got) == {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"} | set(env)
    if "POSTGRES_PASSWORD" not in env:
        assert got["POSTGRES_PASSWORD"].startswith("${DB_PASSWORD:?")

    url = compose["services"]["app"]["environment"]["DATABASE_URL"]
    url = _unescape(re.sub(r"\$\{DB_PASSWORD:\?[^}]*\}", "pw", url))
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port) == ("postgres", "db", 5432)
    assert urllib.parse.unquote(parts.path[1:]) == env.get("POSTGRES_DB", "bookshelf")
    assert urllib.parse.unquote(parts.username or "") == env.get("POSTGRES_USER", "app")
    assert urllib.parse.unquote(parts.password or "") == env.get("POSTGRES_PASSWORD", "pw")
