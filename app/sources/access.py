"""Who may read each document: ``access.yaml`` beside the files, or a file's front matter.

``access.yaml`` at the root of an indexed folder::

    rules:
      - match: "finance/**"        # a glob relative to that folder
        groups: [finance, board]
      - match: "*.md"
        groups: [everyone]

The first rule that matches a file wins; a file no rule matches gets the default groups
(``DOCQA_ACCESS__DEFAULT_GROUPS``). A Markdown file's front matter ``groups:`` overrides
the file. A broken access file stops the run with its problem named: indexing on with
the wrong groups would show documents to people who may not read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from wcmatch import glob

from app.errors import ConfigError
from app.types import GROUP_NAME

__all__ = ["ACCESS_FILE", "AccessRules", "front_matter_groups", "load_rules"]

ACCESS_FILE = "access.yaml"
_MAX_BYTES = 1024 * 1024
_FLAGS = glob.GLOBSTAR | glob.BRACE | glob.DOTGLOB
_FRONT_MATTER_BYTES = 65536

Group = str


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1, max_length=1000)
    groups: list[Group] = Field(min_length=1, max_length=100)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[_Rule] = Field(max_length=10_000)


class AccessRules:
    """The rules of one folder's ``access.yaml``, in order."""

    def __init__(self, rules: Sequence[tuple[str, tuple[str, ...]]] = ()) -> None:
        self.rules = tuple(rules)

    def groups(self, relative: PurePosixPath) -> tuple[str, ...] | None:
        """The groups of the first rule matching ``relative``; None when none matches."""
        for pattern, groups in self.rules:
            if glob.globmatch(str(relative), pattern, flags=_FLAGS):
                return groups
        return None


def load_rules(folder: Path) -> AccessRules:
    """``folder``'s access rules (none when it has no access file); ``ConfigError`` saying
    which line of which file is wrong, and how, when the file is broken."""
    path = folder / ACCESS_FILE
    if not path.is_file():
        return AccessRules()
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise _broken(path, f"it is larger than {_MAX_BYTES:,} bytes")
        data = yaml.safe_load(path.read_bytes())
    except OSError as exc:
        raise _broken(path, f"it cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _broken(path, f"it is not valid YAML{where}") from None
    except RecursionError:
        raise _broken(path, "it is nested too deeply") from None
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise _broken(path, f"{where}: {first['msg']}") from None
    rules = []
    for number, rule in enumerate(parsed.rules):
        bad = [g for g in rule.groups if not GROUP_NAME.fullmatch(g)]
        if bad:
            raise _broken(path, f"rules.{number}.groups: '{bad[0][:40]}' is not a group name")
        if rule.match.startswith("/") or ".." in PurePosixPath(rule.match).parts:
            raise _broken(path, f"rules.{number}.match: write a pattern relative to the folder")
        rules.append((rule.match, tuple(dict.fromkeys(rule.groups))))
    return AccessRules(rules)


def front_matter_groups(data: bytes) -> tuple[str, ...] | None:
    """The ``groups:`` a Markdown file's front matter names, or None when it names none.

    Front matter that names groups badly (not a list of group names) names none: the
    access file or the defaults decide.
    """
    import frontmatter

    from app.sources.decode import decode_text

    try:  # the file's head: front matter comes first, and the rest need not be decoded
        meta, _ = frontmatter.parse(decode_text(data[:_FRONT_MATTER_BYTES]))
    except Exception:  # a malformed block is just text, as extraction reads it
        return None
    groups = meta.get("groups")
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",")]
    if not isinstance(groups, list) or not groups:
        return None
    names = [g for g in groups if isinstance(g, str) and GROUP_NAME.fullmatch(g)]
    return tuple(dict.fromkeys(names)) if len(names) == len(groups) else None


def _broken(path: Path, why: str) -> ConfigError:
    return ConfigError(
        f"The access file {path} is not usable: {why}. Its format: `rules:` a list of "
        "`{match: GLOB, groups: [NAME, ...]}` (see the README, 'Who may read what')."
    )
