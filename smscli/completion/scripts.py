"""Completion scripts for bash, zsh and fish, generated from the app's command tree.

Every script embeds the tree (commands, options, choices), so completing a command, an option
or a choice runs only shell code; session ids and profile names come from
``smscli __complete KIND WORDS...``, which prints ``value<TAB>description`` lines.

The shell code lives in package data, ``templates/<script name>.in``, one file per shell. The
template syntax is two rules, applied line by line:

- a line that holds only ``@NAME@`` (capitals and underscores; indentation allowed) becomes the
  lines this module generates for NAME, each indented as the placeholder was;
- a line that starts with ``#%`` is a comment on the template and left out.

Every other line is copied as it is. A template must use each of its shell's names exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from smscli.completion.tree import Node, Option, Value, read_tree

SHELLS = ("bash", "zsh", "fish")
FILE_NAMES = {"bash": "smscli.bash", "zsh": "_smscli", "fish": "smscli.fish"}
TEMPLATES = Path(__file__).with_name("templates")

_PLACEHOLDER = re.compile(r"([ \t]*)@([A-Z_]+)@")


def generate(shell: str, command: object) -> str:
    """The completion script for ``shell`` from a Click-style command, e.g. get_command(app)."""
    tree = read_tree(command)
    blocks = {"bash": bash_blocks, "zsh": zsh_blocks, "fish": fish_blocks}[shell](tree)
    return fill(template(shell), blocks)


def template(shell: str) -> str:
    """The template of ``shell``'s script, from the package data."""
    return (TEMPLATES / f"{FILE_NAMES[shell]}.in").read_text(encoding="utf-8")


def fill(text: str, blocks: dict[str, str]) -> str:
    """The template ``text`` with each ``@NAME@`` line replaced by ``blocks[NAME]`` (indented as
    the placeholder) and its ``#%`` lines left out; unknown, unused or repeated names fail."""
    out: list[str] = []
    used: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#%"):
            continue
        match = _PLACEHOLDER.fullmatch(line.rstrip("\n"))
        if match is None:
            out.append(line)
            continue
        indent, name = match.groups()
        if name not in blocks or name in used:
            raise ValueError(f"template placeholder @{name}@ is unknown or repeated")
        used.append(name)
        lines = blocks[name].split("\n") if blocks[name] else []  # no lines: nothing at all
        out.extend(f"{indent}{part}\n" if part else "\n" for part in lines)
    if unused := set(blocks) - set(used):
        raise ValueError(f"template lacks @{'@, @'.join(sorted(unused))}@")
    return "".join(out)


# -- shared shape: case arms keyed by "COMMAND PATH|WORD" -------------------------------------


def _value_arms(tree: Node, spec: Callable[[Value], str]) -> dict[str, list[str]]:
    """``spec(value) -> [keys]``, grouped so that options taking the same value share an arm."""
    arms: dict[str, list[str]] = {}
    for node in tree.walk():
        for option in node.options:
            if option.value is not None:
                arms.setdefault(spec(option.value), []).extend(
                    f"{node.key}|{name}" for name in option.names)
    return arms


def _argument_arms(tree: Node, spec: Callable[[Value], str]) -> list[tuple[str, bool, str]]:
    """(key, is_rest, spec) for each positional argument: key is "PATH|INDEX" or "PATH|"."""
    arms = []
    for node in tree.walk():
        for index, argument in enumerate(node.arguments):
            if argument.rest:
                arms.append((f"{node.key}|", True, spec(argument.value)))
                break
            arms.append((f"{node.key}|{index}", False, spec(argument.value)))
    return arms


# Wrapping: ``indent`` starts each continuation line and ``width`` bounds a line, both counted
# from the placeholder's indentation (8 columns in bash, 4 in zsh: widths 84 and 88 in bash,
# 88 and 92 in zsh keep the lines within columns 92 and 96).


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _sh_patterns(keys: list[str], indent: str, width: int) -> str:
    """A case pattern list, wrapped so that no line gets too long."""
    lines, current = [], ""
    for key in keys:
        part = _sh_quote(key)
        if current and len(indent) + len(current) + len(part) > width:
            lines.append(current + "|\\")
            current = ""
        current = f"{current}|{part}" if current else part
    lines.append(current)
    return f"\n{indent}".join(lines)


def _sh_words(words: list[str] | tuple[str, ...], indent: str, width: int) -> str:
    """Quoted words, wrapped inside an array's parentheses when they get long."""
    lines, current = [], ""
    for word in (_sh_quote(word) for word in words):
        if current and len(indent) + len(current) + len(word) > width:
            lines.append(current)
            current = ""
        current = f"{current} {word}" if current else word
    lines.append(current)
    return f"\n{indent}".join(lines)


# -- bash: arms of case statements indented by 8 --------------------------------------------


def _bash_spec(value: Value) -> str:
    if value.kind == "choice":
        return f"REPLY=choice reply=({_sh_words(value.choices, ' ' * 4, 84)})"
    if value.kind == "dynamic":
        return f"REPLY=dynamic reply=({value.dynamic})"
    return f"REPLY={value.kind} reply=()"


def bash_blocks(tree: Node) -> dict[str, str]:
    """The generated parts of the bash script, by placeholder name."""
    subs = [f"{_sh_quote(node.key)}) reply=({_sh_words(list(node.children), ' ' * 4, 84)}) ;;"
            for node in tree.walk() if node.children]
    opts = []
    for node in tree.walk():
        names = [name for option in node.options for name in option.names]
        opts.append(f"{_sh_quote(node.key)})\n    reply=({_sh_words(names, ' ' * 11, 84)}) ;;")
    values = [f"{_sh_patterns(keys, '', 88)})\n    {spec} ;;"
              for spec, keys in _value_arms(tree, _bash_spec).items()]
    arguments = [f"{_sh_quote(key)}{'*' if rest else ''}) {spec} ;;"
                 for key, rest, spec in _argument_arms(tree, _bash_spec)]
    return {"SUBCOMMANDS": "\n".join(subs), "OPTIONS": "\n".join(opts),
            "OPTION_VALUES": "\n".join(values), "ARGUMENTS": "\n".join(arguments)}


# -- zsh: arms of case statements indented by 4 ---------------------------------------------


def _zsh_entry(name: str, description: str) -> str:
    name = name.replace("\\", "\\\\").replace(":", "\\:")
    return _sh_quote(f"{name}:{description}" if description else name)


def _zsh_spec(value: Value) -> str:
    label = _sh_quote(value.dynamic[:-1] if value.kind == "dynamic" else value.label)
    if value.kind == "choice":
        return f"REPLY=choice label={label} reply=({_sh_words(value.choices, ' ' * 8, 88)})"
    if value.kind == "dynamic":
        return f"REPLY=dynamic label={label} reply=({value.dynamic})"
    return f"REPLY={value.kind} label={label} reply=()"


def _zsh_reply(key: str, entries: list[str]) -> str:
    lines = "\n    ".join(entries)
    return f"({_sh_quote(key)})\n  reply=(\n    {lines}\n  ) ;;"


def zsh_blocks(tree: Node) -> dict[str, str]:
    """The generated parts of the zsh script, by placeholder name."""
    subs = [_zsh_reply(node.key, [_zsh_entry(name, child.help)
                                  for name, child in node.children.items()])
            for node in tree.walk() if node.children]
    opts = [_zsh_reply(node.key, [_zsh_entry(name, option.help)
                                  for option in node.options for name in option.names])
            for node in tree.walk()]
    values = [f"({_sh_patterns(keys, ' ', 92)})\n  {spec} ;;"
              for spec, keys in _value_arms(tree, _zsh_spec).items()]
    arguments = [f"({_sh_quote(key)}{'*' if rest else ''}) {spec} ;;"
                 for key, rest, spec in _argument_arms(tree, _zsh_spec)]
    return {"SUBCOMMANDS": "\n".join(subs), "OPTIONS": "\n".join(opts),
            "OPTION_VALUES": "\n".join(values), "ARGUMENTS": "\n".join(arguments)}


# -- fish -----------------------------------------------------------------------------------


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_call(function: str, key: str, *rest: str) -> str:
    """A condition such as "__smscli_opt 'sessions list'", double-quoted for -n."""
    words = " ".join((function, _fish_quote(key), *rest))
    return '"' + words.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _fish_words(words: tuple[str, ...]) -> str:
    """The words as one -a argument: each a fish word inside a quoted list."""
    if all(re.fullmatch(r"[\w.+-]+", word) for word in words):
        return _fish_quote(" ".join(words))
    return _fish_quote(" ".join(_fish_quote(word) for word in words))


def _fish_option(key: str, option: Option) -> str:
    parts = ["complete -c smscli", f"-n {_fish_call('__smscli_opt', key)}"]
    for name in option.names:
        if name.startswith("--"):
            parts.append(f"-l {name[2:]}")
        elif len(name) == 2:
            parts.append(f"-s {name[1]}")
        else:
            parts.append(f"-o {name[1:]}")
    value = option.value
    if value is not None:
        if value.kind == "choice":
            parts.append(f"-x -a {_fish_words(value.choices)}")
        elif value.kind == "dynamic":
            parts.append(f"-x -a '(__smscli_dynamic {value.dynamic})'")
        elif value.kind == "file":
            parts.append("-r -F")
        elif value.kind == "dir":
            parts.append("-x -a '(__fish_complete_directories)'")
        else:
            parts.append("-x")
    if option.help:
        parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


def _fish_argument(key: str, index: str, value: Value) -> str | None:
    condition = _fish_call("__smscli_arg", key, index)
    if value.kind == "choice":
        return f"complete -c smscli -n {condition} -a {_fish_words(value.choices)}"
    if value.kind == "dynamic":
        return f"complete -c smscli -n {condition} -a '(__smscli_dynamic {value.dynamic})'"
    if value.kind == "file":
        return f"complete -c smscli -n {condition} -F"
    if value.kind == "dir":
        return f"complete -c smscli -n {condition} -a '(__fish_complete_directories)'"
    return None


def fish_blocks(tree: Node) -> dict[str, str]:
    """The generated parts of the fish script, by placeholder name."""
    subs = [f"case {_fish_quote(node.key)}\n    printf '%s\\n' "
            + " ".join(_fish_quote(name) for name in node.children)
            for node in tree.walk() if node.children]
    keys = [key for arm in _value_arms(tree, lambda value: "").values() for key in arm]
    takes_value = "case " + " \\\n    ".join(_fish_quote(key) for key in keys)
    lines = []
    for node in tree.walk():
        lines.append(f"# {('smscli ' + node.key).strip()}")
        for name, child in node.children.items():
            condition = _fish_call("__smscli_arg", node.key)
            lines.append(f"complete -c smscli -n {condition} -a {_fish_quote(name)} "
                         f"-d {_fish_quote(child.help)}")
        for option in node.options:
            lines.append(_fish_option(node.key, option))
        for index, argument in enumerate(node.arguments):
            line = _fish_argument(node.key, f"{index}+" if argument.rest else str(index),
                                  argument.value)
            if line:
                lines.append(line)
    return {"SUBCOMMANDS": "\n".join(subs), "VALUE_OPTIONS": takes_value,
            "COMPLETIONS": "\n".join(lines)}
