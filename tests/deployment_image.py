"""What the Astro image holds, reproduced without Docker: its build context and its Dockerfile's steps.

`.dockerignore` is read as Docker documents it (Dockerfile reference, ".dockerignore file"): one
pattern per line, `#` lines are comments, whitespace trimmed and the pattern cleaned (a leading `/`,
`./` and a trailing `/` mean nothing); Go's filepath.Match (`*` and `?` never cross `/`) plus `**`
for any number of directories; a pattern matching a directory excludes everything under it; `!` makes
an exception and the last matching line decides. Paths are relative to the context root, so `tests`
excludes the top-level folder only, never include/dbt/tests (which takes its own line).
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class IgnoreRule:
    pattern: str
    regex: re.Pattern[str]
    exception: bool


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i + 1)  # an unterminated class is an error, as in Go
            body = pattern[i + 1 : end]
            out += "[" + ("^" + body[1:] if body.startswith("^") else body) + "]"
            i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def ignore_rules(text: str) -> list[IgnoreRule]:
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line[1:].strip() if exception else line
        if not pattern:
            raise ValueError(".dockerignore: a bare '!' excludes nothing and Docker refuses it")
        pattern = posixpath.normpath(pattern).lstrip("/")
        rules.append(IgnoreRule(pattern, _glob_regex(pattern), exception))
    return rules


def is_excluded(relative: str, rules: list[IgnoreRule]) -> bool:
    """Whether the context path `relative` (/-separated) stays out of the build context."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]  # the path and its parents
    excluded = False
    for rule in rules:
        if any(rule.regex.fullmatch(candidate) for candidate in candidates):
            excluded = not rule.exception
    return excluded


def build_context(root: Path = REPO_ROOT) -> Iterator[Path]:
    """Every file of the build context under `root`, relative to it (symlinks as files)."""
    rules = ignore_rules((root / ".dockerignore").read_text())
    keeps_exceptions = any(rule.exception for rule in rules)
    for directory, dirnames, filenames in os.walk(root):
        relative_dir = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        if not keeps_exceptions:  # nothing under an excluded folder can come back: skip the walk
            dirnames[:] = [name for name in dirnames if not is_excluded(prefix + name, rules)]
        for name in filenames:
            if not is_excluded(prefix + name, rules):
                yield Path(prefix + name)


def copy_build_context(destination: Path, root: Path = REPO_ROOT) -> list[Path]:
    """The Runtime's ONBUILD `COPY . .`: the context (less .dockerignore) into `destination`."""
    copied = []
    for relative in build_context(root):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target, follow_symlinks=False)
        copied.append(relative)
    return copied


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each Dockerfile instruction, continuation lines joined."""
    lines = [line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def dockerfile_env(dockerfile: str) -> dict[str, str]:
    """The ENV values the Dockerfile sets (`ENV KEY=value ...` form)."""
    env: dict[str, str] = {}
    for keyword, rest in _instructions(dockerfile):
        if keyword == "ENV":
            for pair in rest.split():
                key, sep, value = pair.partition("=")
                if not sep:
                    raise ValueError(f"Dockerfile: ENV {rest!r} is not in KEY=value form")
                env[key] = value
    return env


def dockerfile_runs(dockerfile: str) -> list[str]:
    """The shell commands of the Dockerfile's RUN instructions, in order."""
    return [rest for keyword, rest in _instructions(dockerfile) if keyword == "RUN"]
