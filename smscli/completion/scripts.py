"""Completion scripts for bash, zsh and fish, generated from the app's command tree.

Every script embeds the tree (commands, options, choices), so completing a command, an option
or a choice runs only shell code; session ids and profile names come from
``smscli __complete KIND WORDS...``, which prints ``value<TAB>description`` lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from smscli.completion.tree import Node, Option, Value, read_tree

SHELLS = ("bash", "zsh", "fish")
FILE_NAMES = {"bash": "smscli.bash", "zsh": "_smscli", "fish": "smscli.fish"}


def generate(shell: str, command: Any) -> str:
    """The completion script for ``shell`` from a Click-style command, e.g. get_command(app)."""
    tree = read_tree(command)
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](tree)


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


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _sh_patterns(keys: list[str], indent: str) -> str:
    """A case pattern list, wrapped so that no line gets too long."""
    lines, current = [], ""
    for key in keys:
        part = _sh_quote(key)
        if current and len(indent) + len(current) + len(part) > 96:
            lines.append(current + "|\\")
            current = ""
        current = f"{current}|{part}" if current else part
    lines.append(current)
    return f"\n{indent}".join(lines)


def _sh_words(words: list[str] | tuple[str, ...], indent: str = " " * 12) -> str:
    """Quoted words, wrapped inside an array's parentheses when they get long."""
    lines, current = [], ""
    for word in (_sh_quote(word) for word in words):
        if current and len(indent) + len(current) + len(word) > 92:
            lines.append(current)
            current = ""
        current = f"{current} {word}" if current else word
    lines.append(current)
    return f"\n{indent}".join(lines)


def _header(shell: str, install: str) -> str:
    return (f"# {shell} completion for smscli, generated from the app by scripts/gen_completions.py\n"
            f"# (the same text as `smscli completion {shell}`); do not edit. {install}\n")


# -- bash -----------------------------------------------------------------------------------


def _bash_spec(value: Value) -> str:
    if value.kind == "choice":
        return f"REPLY=choice reply=({_sh_words(value.choices)})"
    if value.kind == "dynamic":
        return f"REPLY=dynamic reply=({value.dynamic})"
    return f"REPLY={value.kind} reply=()"


def bash(tree: Node) -> str:
    out = [_header("bash", "Install: source it from\n"
                   "# ~/.bashrc, or copy it to ~/.local/share/bash-completion/completions/smscli."),
           "# Commands, options and choices are completed by shell code alone; session ids and",
           "# profile names by `smscli __complete KIND WORDS...` (1 s at most, silent on errors).",
           "", "# The subcommands of the command path $1, in reply.",
           "__smscli_subs() {", "    case $1 in"]
    for node in tree.walk():
        if node.children:
            out.append(f"        {_sh_quote(node.key)}) reply=({_sh_words(list(node.children))}) ;;")
    out += ["        *) reply=() ;;", "    esac", "}", "",
            "# The options of the command path $1, in reply.", "__smscli_opts() {", "    case $1 in"]
    for node in tree.walk():
        names = [name for option in node.options for name in option.names]
        out.append(f"        {_sh_quote(node.key)})")
        out.append(f"            reply=({_sh_words(names, ' ' * 19)}) ;;")
    out += ["        *) reply=() ;;", "    esac", "}", "",
            '# What option $2 of command path $1 takes: REPLY is choice (reply: the choices),',
            "# dynamic (reply: the kind for __complete), file, dir or text; fails for a flag.",
            "__smscli_value() {", '    case "$1|$2" in']
    for spec, keys in _value_arms(tree, _bash_spec).items():
        out.append(f"        {_sh_patterns(keys, ' ' * 8)})")
        out.append(f"            {spec} ;;")
    out += ["        *) return 1 ;;", "    esac", "}", "",
            "# What positional argument $2 (from 0) of command path $1 takes, as __smscli_value.",
            "__smscli_arg() {", '    case "$1|$2" in']
    for key, rest, spec in _argument_arms(tree, _bash_spec):
        pattern = _sh_quote(key) + ("*" if rest else "")
        out.append(f"        {pattern}) {spec} ;;")
    out += ["        *) return 1 ;;", "    esac", "}", "", BASH_ENGINE]
    return "\n".join(out)


BASH_ENGINE = r"""# Add the candidates that start with $1, cut to the part of the word bash replaces: the text
# after the last = or : when COMP_WORDBREAKS splits words there.
__smscli_add() {
    local typed=$1 cut='' head ch c
    shift
    for ch in = :; do
        [[ $COMP_WORDBREAKS == *"$ch"* && $typed == *"$ch"* ]] || continue
        head=${typed%"$ch"*}$ch
        ((${#head} > ${#cut})) && cut=$head
    done
    for c; do
        [[ $c == "$typed"* ]] && COMPREPLY+=("${c#"$cut"}")
    done
}

# Complete a value described by REPLY and reply; $1 is the text typed so far, $2 what precedes
# it in the same word (--output=).
__smscli_values() {
    local typed=$1 before=$2 out id rest
    local -a found=()
    case $REPLY in
        choice) __smscli_add "$before$typed" "${reply[@]/#/$before}" ;;
        dynamic)
            out=$(command smscli __complete "${reply[0]}" "${words[@]:1}" 2>/dev/null) || return 0
            while IFS=$'\t' read -r id rest; do
                [[ -n $id ]] || continue
                printf -v id %q "$id"
                found+=("$before$id")
            done <<<"$out"
            __smscli_add "$before$typed" "${found[@]}"
            ;;
        file) compopt -o default 2>/dev/null ;;
        dir) compopt -o dirnames 2>/dev/null ;;
    esac
}

_smscli() {
    local IFS=$' \t\n' line cur cmd='' pending='' w REPLY
    local -a words reply
    local -i i npos=0 ddash=0
    COMPREPLY=()
    # The words as typed, split at blanks (COMP_WORDS splits URLs at ':' and options at '=').
    if [[ -v COMP_LINE ]]; then
        line=${COMP_LINE:0:COMP_POINT}
    else
        line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
    fi
    read -ra words <<<"$line"
    if [[ -z $line || $line == *[[:blank:]] ]]; then
        cur=''
    else
        cur=${words[-1]}
        unset 'words[-1]'
    fi
    for ((i = 1; i < ${#words[@]}; i++)); do
        w=${words[i]}
        if [[ -n $pending ]]; then
            pending=''
        elif ((!ddash)) && [[ $w == -- ]]; then
            ddash=1
        elif ((!ddash)) && [[ $w == -?* ]]; then
            [[ $w != *=* ]] && __smscli_value "$cmd" "$w" && pending=$w
        elif ((npos == 0)) && __smscli_subs "$cmd" && [[ " ${reply[*]} " == *" $w "* ]]; then
            cmd=${cmd:+$cmd }$w
        else
            npos+=1
        fi
    done
    if [[ -n $pending ]]; then
        __smscli_value "$cmd" "$pending" && __smscli_values "$cur" ''
    elif ((!ddash)) && [[ $cur == --*=* ]]; then
        __smscli_value "$cmd" "${cur%%=*}" && __smscli_values "${cur#*=}" "${cur%%=*}="
    elif ((!ddash)) && [[ $cur == -* ]]; then
        __smscli_opts "$cmd"
        __smscli_add "$cur" "${reply[@]}"
    else
        __smscli_subs "$cmd"
        if ((${#reply[@]})); then
            __smscli_add "$cur" "${reply[@]}"
        elif __smscli_arg "$cmd" "$npos"; then
            __smscli_values "$cur" ''
        fi
    fi
    return 0
}

complete -F _smscli smscli
"""


# -- zsh ------------------------------------------------------------------------------------


def _zsh_entry(name: str, description: str) -> str:
    name = name.replace("\\", "\\\\").replace(":", "\\:")
    return _sh_quote(f"{name}:{description}" if description else name)


def _zsh_spec(value: Value) -> str:
    label = _sh_quote(value.dynamic[:-1] if value.kind == "dynamic" else value.label)
    if value.kind == "choice":
        return f"REPLY=choice label={label} reply=({_sh_words(value.choices)})"
    if value.kind == "dynamic":
        return f"REPLY=dynamic label={label} reply=({value.dynamic})"
    return f"REPLY={value.kind} label={label} reply=()"


def zsh(tree: Node) -> str:
    out = ["#compdef smscli",
           _header("zsh", "Install: put it, named _smscli,\n"
                   "# in a directory of $fpath before compinit runs; or source it after compinit."),
           "# Commands, options and choices are completed by shell code alone; session ids and",
           "# profile names by `smscli __complete KIND WORDS...` (1 s at most, silent on errors).",
           "", "# The subcommands of the command path $1, as name:description in reply.",
           "__smscli_subs() {", "  case $1 in"]
    for node in tree.walk():
        if node.children:
            entries = "\n        ".join(_zsh_entry(name, child.help)
                                       for name, child in node.children.items())
            out.append(f"    ({_sh_quote(node.key)})")
            out.append(f"      reply=(\n        {entries}\n      ) ;;")
    out += ["    (*) reply=() ;;", "  esac", "}", "",
            "# The options of the command path $1, as name:description in reply.",
            "__smscli_opts() {", "  case $1 in"]
    for node in tree.walk():
        entries = "\n        ".join(_zsh_entry(name, option.help)
                                   for option in node.options for name in option.names)
        out.append(f"    ({_sh_quote(node.key)})")
        out.append(f"      reply=(\n        {entries}\n      ) ;;")
    out += ["    (*) reply=() ;;", "  esac", "}", "",
            "# What option $2 of command path $1 takes: REPLY is choice (reply: the choices),",
            "# dynamic (reply: the kind for __complete), file, dir or text; fails for a flag.",
            "__smscli_value() {", '  case "$1|$2" in']
    for spec, keys in _value_arms(tree, _zsh_spec).items():
        out.append(f"    ({_sh_patterns(keys, ' ' * 5)})")
        out.append(f"      {spec} ;;")
    out += ["    (*) return 1 ;;", "  esac", "}", "",
            "# What positional argument $2 (from 0) of command path $1 takes, as __smscli_value.",
            "__smscli_arg() {", '  case "$1|$2" in']
    for key, rest, spec in _argument_arms(tree, _zsh_spec):
        pattern = _sh_quote(key) + ("*" if rest else "")
        out.append(f"    ({pattern}) {spec} ;;")
    out += ["    (*) return 1 ;;", "  esac", "}", "", ZSH_ENGINE]
    return "\n".join(out)


ZSH_ENGINE = r"""# Complete a value described by REPLY, reply and label.
__smscli_values() {
  local line expl
  local -a values lines items
  values=("${reply[@]}")
  case $REPLY in
    (choice) _wanted values expl "$label" compadd -a values ;;
    (dynamic)
      lines=("${(@f)$(command smscli __complete $values[1] "${before[@]}" 2>/dev/null)}")
      for line in $lines; do
        [[ -n $line ]] || continue
        if [[ $line == *$'\t'* ]]; then
          items+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
        else
          items+=("${line//:/\\:}")
        fi
      done
      (( $#items )) && _describe -t $values[1] "$label" items
      ;;
    (file) _files ;;
    (dir) _files -/ ;;
    (text) _message -e values "$label" ;;
  esac
}

_smscli() {
  local cur=$words[CURRENT] cmd='' pending='' w REPLY label
  local -a before reply cands names
  integer npos=0 ddash=0
  before=("${(@Q)words[2,CURRENT-1]}")
  for w in "${before[@]}"; do
    if [[ -n $pending ]]; then
      pending=''
    elif (( ! ddash )) && [[ $w == -- ]]; then
      ddash=1
    elif (( ! ddash )) && [[ $w == -?* ]]; then
      [[ $w != *=* ]] && __smscli_value "$cmd" "$w" && pending=$w
    else
      if (( npos == 0 )); then
        __smscli_subs "$cmd"
        names=("${(@)reply%%:*}")
        if (( ${names[(Ie)$w]} )); then
          cmd=${cmd:+$cmd }$w
          continue
        fi
      fi
      npos+=1
    fi
  done
  if [[ -n $pending ]]; then
    __smscli_value "$cmd" "$pending" && __smscli_values
  elif (( ! ddash )) && [[ $cur == --*=* ]]; then
    if __smscli_value "$cmd" "${cur%%=*}"; then
      compset -P '*='
      __smscli_values
    fi
  elif (( ! ddash )) && [[ $cur == -* ]]; then
    __smscli_opts "$cmd"
    cands=("${reply[@]}")
    _describe -t options option cands
  else
    __smscli_subs "$cmd"
    cands=("${reply[@]}")
    if (( $#cands )); then
      _describe -t commands command cands
    elif __smscli_arg "$cmd" $npos; then
      __smscli_values
    fi
  fi
}

# Autoloaded from $fpath, this file is the body of _smscli: define, then complete at once (the
# first TAB). Sourced, it registers the function instead.
if [[ $funcstack[1] == _smscli ]]; then
  _smscli "$@"
else
  compdef _smscli smscli
fi
"""


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


def fish(tree: Node) -> str:
    out = [_header("fish", "Install: copy it\n"
                   "# to ~/.config/fish/completions/smscli.fish."),
           "# Commands, options and choices are completed by fish code alone; session ids and",
           "# profile names by `smscli __complete KIND WORDS...` (1 s at most, silent on errors).",
           "", "# The subcommands of the command path $argv[1], one a line.",
           "function __smscli_subs", "    switch $argv[1]"]
    for node in tree.walk():
        if node.children:
            out.append(f"        case {_fish_quote(node.key)}")
            out.append("            printf '%s\\n' " +
                       " ".join(_fish_quote(name) for name in node.children))
    out += ["    end", "end", "",
            "# Whether option $argv[2] of command path $argv[1] takes a value.",
            "function __smscli_takes_value", '    switch "$argv[1]|$argv[2]"']
    keys = [key for arm in _value_arms(tree, lambda value: "").values() for key in arm]
    out.append("        case " + " \\\n            ".join(_fish_quote(key) for key in keys))
    out += ["            return 0", "    end", "    return 1", "end", "", FISH_ENGINE]
    for node in tree.walk():
        out.append(f"# {('smscli ' + node.key).strip()}")
        for name, child in node.children.items():
            condition = _fish_call("__smscli_arg", node.key)
            out.append(f"complete -c smscli -n {condition} -a {_fish_quote(name)} "
                       f"-d {_fish_quote(child.help)}")
        for option in node.options:
            out.append(_fish_option(node.key, option))
        for index, argument in enumerate(node.arguments):
            line = _fish_argument(node.key, f"{index}+" if argument.rest else str(index),
                                  argument.value)
            if line:
                out.append(line)
    return "\n".join(out) + "\n"


FISH_ENGINE = r"""# Read the tokens before the cursor into __smscli_where: the command path, the number of
# positional arguments after it, and 1 when the next token is an option's value.
function __smscli_parse
    set -l tokens (commandline -opc)
    set -l key (string join \x1e -- $tokens)
    if set -q __smscli_where; and test "$key" = "$__smscli_key"
        return
    end
    set -l cmd ''
    set -l npos 0
    set -l pending 0
    set -l ddash 0
    for w in $tokens[2..-1]
        if test $pending = 1
            set pending 0
        else if test $ddash = 0; and test "$w" = --
            set ddash 1
        else if test $ddash = 0; and string match -qr -- '^-.' $w
            if not string match -q -- '*=*' $w; and __smscli_takes_value "$cmd" $w
                set pending 1
            end
        else if test $npos = 0; and contains -- $w (__smscli_subs "$cmd")
            set cmd (string trim -- "$cmd $w")
        else
            set npos (math $npos + 1)
        end
    end
    set -g __smscli_key $key
    set -g __smscli_where $cmd $npos $pending
end

# The options of command path $argv[1] apply here.
function __smscli_opt
    __smscli_parse
    test "$__smscli_where[1]" = "$argv[1]"
end

# A positional argument of command path $argv[1] is being completed: the Nth (from 0) for
# $argv[2] = N, the Nth or later for N+, any for none. Not for a word that starts an option,
# so that completing an option never runs the program.
function __smscli_arg
    string match -q -- '-*' (commandline -ct); and return 1
    __smscli_parse
    test "$__smscli_where[1]" = "$argv[1]" -a "$__smscli_where[3]" = 0; or return 1
    set -q argv[2]; or return 0
    set -l n (string trim -r -c + -- $argv[2])
    if string match -q -- '*+' $argv[2]
        test $__smscli_where[2] -ge $n
    else
        test $__smscli_where[2] -eq $n
    end
end

# Session ids or profile names, as value<TAB>description lines, from the program.
function __smscli_dynamic
    set -l tokens (commandline -opc)
    command smscli __complete $argv[1] $tokens[2..-1] 2>/dev/null
end

complete -c smscli -f
"""
