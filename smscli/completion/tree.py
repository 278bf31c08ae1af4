"""The app's commands, options and arguments as plain data, for generating completion scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Values only the running program knows, answered by ``smscli __complete KIND``: by parameter
# name anywhere, or by "command path:parameter name".
DYNAMIC = {"session_id": "sessions", "session_ids": "sessions", "profile": "profiles",
           "config use:name": "profiles", "tz": "zones"}
# Values offered for options that also accept others (a server may know states and types that
# smscli does not): by parameter name.
SUGGESTED = {"state": "KNOWN_STATES", "types": "KNOWN_MESSAGE_TYPES"}


@dataclass(frozen=True)
class Value:
    """What an option or argument takes: ``choice``, ``dynamic``, ``file``, ``dir`` or ``text``."""

    kind: str
    label: str
    choices: tuple[str, ...] = ()
    dynamic: str = ""


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]
    help: str
    value: Value | None  # None: a flag


@dataclass(frozen=True)
class Argument:
    value: Value
    rest: bool  # takes every remaining word


@dataclass
class Node:
    """One command or group; ``path`` is the words that lead to it (the root's is empty)."""

    path: tuple[str, ...]
    help: str
    options: list[Option] = field(default_factory=list)
    arguments: list[Argument] = field(default_factory=list)
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return " ".join(self.path)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children.values():
            yield from child.walk()


def read_tree(command: Any) -> Node:
    """The tree under a Click-style command, e.g. ``typer.main.get_command(app)``."""
    return _node(command, (), ("--help",))


def _node(command: Any, path: tuple[str, ...], inherited_help: tuple[str, ...]) -> Node:
    settings = getattr(command, "context_settings", None) or {}
    help_names = tuple(settings.get("help_option_names", inherited_help))
    node = Node(path, short_help(getattr(command, "help", None) or ""))
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            node.arguments.append(Argument(_value(param, path), rest=param.nargs == -1))
        else:
            takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
            names = tuple(param.opts) + tuple(param.secondary_opts)
            node.options.append(Option(names, short_help(param.help or ""),
                                       _value(param, path) if takes_value else None))
    if help_names and getattr(command, "add_help_option", True):
        node.options.append(Option(help_names, "Show the help and exit", None))
    for name, sub in getattr(command, "commands", {}).items():
        if not getattr(sub, "hidden", False):
            node.children[name] = _node(sub, (*path, name), help_names)
    return node


def _value(param: Any, path: tuple[str, ...]) -> Value:
    label = param.metavar or param.name.upper()
    type_name = getattr(param.type, "name", "")
    dynamic = DYNAMIC.get(f"{' '.join(path)}:{param.name}") or DYNAMIC.get(param.name)
    if dynamic:
        return Value("dynamic", label, dynamic=dynamic)
    if type_name == "choice":
        return Value("choice", label, choices=tuple(str(c) for c in param.type.choices))
    if param.name in SUGGESTED:
        return Value("choice", label, choices=_suggested(param.name))
    if type_name == "directory":
        return Value("dir", label)
    if type_name in ("file", "path") or label in ("PATH", "FILE"):
        return Value("file", label)
    return Value("text", label)


def _suggested(name: str) -> tuple[str, ...]:
    from smscli import models
    from smscli.cli import options

    source = {"KNOWN_STATES": options, "KNOWN_MESSAGE_TYPES": models}[SUGGESTED[name]]
    return tuple(getattr(source, SUGGESTED[name]))


_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.\s+(?=[A-Z])|\s*\[|\n")


def short_help(text: str, limit: int = 64) -> str:
    """The first sentence of a help text, without defaults in brackets, on one line."""
    text = text.replace("\b", "").strip()
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip().rstrip(".")
    first = " ".join(first.split())
    return first if len(first) <= limit else first[: limit - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."
