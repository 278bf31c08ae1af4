#!/usr/bin/env python3
"""A small mutation tester (stdlib only): do the tests notice when the code is changed?

Usage (from the repository root, in the project's venv):

    python scripts/mutate.py --file smscli/safety.py --list
    python scripts/mutate.py --file smscli/safety.py \\
        --tests "tests/render tests/test_safety.py tests/test_properties.py"
    python scripts/mutate.py --file smscli/safety.py --tests tests/test_safety.py --only 36
    python scripts/mutate.py --file smscli/follow/engine.py --tests tests/follow/test_follow.py \
        --sample 40 --seed 1    # a quick estimate when the tests are slow

Each mutant is one small change found from the file's syntax tree: a comparison operator
(<, <=, >, >=, ==, !=, in, is) turned into its neighbour, `and`/`or` swapped or one operand
dropped, a `not` removed, a number moved by one, True/False flipped, a `continue` or `return`
replaced by `pass`, a slice bound moved by one, a width dropped from a format spec, and edits
inside regular expressions (in string constants, f-strings, and strings interpolated into
`[...]` of an f-string): one alternative dropped, one character or range of a class dropped, a
range narrowed (`[0-?]` to `[0-9]`, one end moved in), a `?`, `*` or `+` quantifier dropped,
and a call `f(x)` replaced by `x` (an escaping step skipped). With --extra, also one element of
a tuple or list display dropped.

For each mutant the file is rewritten in place, the tests run as
``python -m pytest -x -q -p no:randomly -p no:cacheprovider TESTS`` with a timeout, and the
original is put back: in a `finally`, on Ctrl-C and on SIGTERM/SIGHUP. A copy of the original
is kept in the temporary directory while a mutant is in place; if the tester itself is killed
with SIGKILL, the next run puts the original back before doing anything else. A mutant is
"killed" when the tests fail (or time out, or the module no longer imports), "survived" when
they pass. Put the fastest, most precise test files first: `-x` stops at the first failure.
Exit status: 0 when every mutant was killed, 1 when some survived, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER = "\ue000"  # stands for an interpolated {value} inside an f-string's regex text


@dataclass(frozen=True)
class Mutant:
    line: int
    description: str
    start: int  # character offsets in the source text that the replacement covers
    end: int
    replacement: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.replacement + source[self.end :]


# --- locating nodes in the source ----------------------------------------------------------


class Source:
    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(i + 1)
        self.tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))

    def offset(self, line: int, col_bytes: int) -> int:
        """AST columns count UTF-8 bytes; turn (line, byte column) into a text offset."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        raw = self.text[start:end].encode("utf-8")[:col_bytes]
        return start + len(raw.decode("utf-8"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def string_lines(self, node: ast.Constant) -> list[tuple[int, int]]:
        """For an (implicitly concatenated) string: (value offset, line) where each piece starts."""
        pieces: list[tuple[int, int]] = []
        total = 0
        first = (node.lineno, node.col_offset)
        last = (node.end_lineno, node.end_col_offset)
        for tok in self.tokens:
            if tok.type != tokenize.STRING:
                continue
            # tokenize columns are characters, AST columns bytes: close enough for ASCII lines,
            # and the line alone decides membership when the node spans several lines.
            if tok.start[0] < first[0] or tok.end[0] > last[0]:
                continue
            if tok.start[0] == first[0] and node.lineno == node.end_lineno and \
                    self.offset(tok.start[0], 0) + tok.start[1] < self.span(node)[0]:
                continue
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue
            if not isinstance(value, str):
                continue
            pieces.append((total, tok.start[0]))
            total += len(value)
        return pieces or [(0, node.lineno)]


def line_for(pieces: list[tuple[int, int]], pos: int) -> int:
    line = pieces[0][1]
    for start, piece_line in pieces:
        if start <= pos:
            line = piece_line
    return line


# --- regular expressions -------------------------------------------------------------------


def looks_like_regex(text: str) -> bool:
    return bool(re.search(r"\[[^\]]+\]|\\x[0-9a-fA-F]{2}.*[|?*]|\(\?:", text))


def _atom_end(text: str, i: int) -> int:
    """The end of one class item or literal starting at i (an escape or a single character)."""
    if text[i] != "\\" or i + 1 >= len(text):
        return i + 1
    kind = text[i + 1]
    if kind == "x":
        return min(i + 4, len(text))
    if kind == "u":
        return min(i + 6, len(text))
    return i + 2


def _atom_char(atom: str) -> str | None:
    if len(atom) == 1:
        return atom
    if atom[:2] in ("\\x", "\\u"):
        try:
            return chr(int(atom[2:], 16))  # noqa: FURB166 - "\\x41", not "0x41"
        except ValueError:
            return None
    return None


def _spell(ch: str) -> str:
    """A character as a class item: letters and digits as they are, the rest as an escape."""
    if ch.isascii() and ch.isalnum():
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass
class Edit:
    pos: int  # where in the regex text
    end: int
    new: str
    what: str


def regex_edits(text: str, class_body: bool = False) -> list[Edit]:
    """Small edits of a regex's text (PLACEHOLDER marks interpolated values, never edited)."""
    edits: list[Edit] = []
    if class_body:  # the text is the inside of a [...] written elsewhere
        return _class_edits(text, 0, len(text))
    groups: list[list[int]] = [[0]]  # per open group: start of each alternative, then bars
    group_starts: list[int] = [0]
    i = 0
    prev_atom = False
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i = _atom_end(text, i)
            prev_atom = True
        elif ch == "[":
            j = i + 1
            if j < len(text) and text[j] == "^":
                j += 1
            body_start = j
            if j < len(text) and text[j] == "]":
                j += 1
            while j < len(text) and text[j] != "]":
                j = _atom_end(text, j)
            edits.extend(_class_edits(text, body_start, j))
            i = j + 1
            prev_atom = True
        elif ch == "(":
            j = i + 1
            if text.startswith("?:", j):
                j += 2
            groups.append([j])
            group_starts.append(i)
            i = j
            prev_atom = False
        elif ch == "|":
            groups[-1].append(i)  # a bar; the next alternative starts after it
            i += 1
            prev_atom = False
        elif ch == ")":
            edits.extend(_alternative_edits(text, groups.pop(), i))
            group_starts.pop()
            i += 1
            prev_atom = True
        elif ch in "?*+" and prev_atom:
            name = {"?": "optional", "*": "repeat", "+": "repeat"}[ch]
            edits.append(Edit(i, i + 1, "", f"drop {name} quantifier {ch!r}"))
            i += 1
            if i < len(text) and text[i] == "?":  # lazy marker
                i += 1
            prev_atom = False
        else:
            i += 1
            prev_atom = ch != PLACEHOLDER or True
    if groups:
        edits.extend(_alternative_edits(text, groups[0], len(text)))
    return edits


def _alternative_edits(text: str, marks: list[int], end: int) -> list[Edit]:
    """marks = [start of the first alternative, position of each bar]."""
    if len(marks) < 2:
        return []
    bounds = [marks[0]] + [bar + 1 for bar in marks[1:]]
    stops = marks[1:] + [end]
    edits = []
    for k, (start, stop) in enumerate(zip(bounds, stops, strict=True)):
        # Drop the alternative with one of its bars: the one before it, or after the first.
        lo, hi = (start - 1, stop) if k else (start, stop + 1)
        shown = text[start:stop]
        if PLACEHOLDER in shown:
            continue
        edits.append(Edit(lo, hi, "", f"drop alternative {shown!r}"))
    return edits


def _class_edits(text: str, start: int, end: int) -> list[Edit]:
    items: list[tuple[int, int, str | None, str | None]] = []  # start, end, low, high
    j = start
    while j < end:
        a_end = _atom_end(text, j)
        low = _atom_char(text[j:a_end])
        if a_end < end - 1 and text[a_end] == "-":
            b_end = _atom_end(text, a_end + 1)
            items.append((j, b_end, low, _atom_char(text[a_end + 1 : b_end])))
            j = b_end
        else:
            items.append((j, a_end, low, None))
            j = a_end
    edits: list[Edit] = []
    for s, e, low, high in items:
        shown = text[s:e]
        if PLACEHOLDER in shown:
            continue
        if len(items) > 1:  # an empty class would not compile
            edits.append(Edit(s, e, "", f"drop {shown!r} from class [{text[start:end]}]"))
        if low is None or high is None or ord(high) <= ord(low):
            continue
        if low <= "0" and high > "9":
            edits.append(Edit(s, e, "0-9", f"narrow {shown!r} to '0-9'"))
        edits.append(Edit(s, e, f"{_spell(low)}-{_spell(chr(ord(high) - 1))}",
                          f"narrow {shown!r}: drop its last character"))
        edits.append(Edit(s, e, f"{_spell(chr(ord(low) + 1))}-{_spell(high)}",
                          f"narrow {shown!r}: drop its first character"))
    return edits


# --- mutants from the syntax tree ----------------------------------------------------------

COMPARE_SWAPS: dict[type, list[type]] = {
    ast.Lt: [ast.LtE], ast.LtE: [ast.Lt], ast.Gt: [ast.GtE], ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
    ast.In: [ast.NotIn], ast.NotIn: [ast.In], ast.Is: [ast.IsNot], ast.IsNot: [ast.Is],
}
OP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
           ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


def _copy(node: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(node), mode="eval").body if isinstance(node, ast.expr) \
        else ast.parse(ast.unparse(node)).body[0]


def _short(node: ast.AST, limit: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Finder:
    def __init__(self, source: Source, tree: ast.Module, extra: bool = False) -> None:
        self.source = source
        self.extra = extra
        self.tree = tree
        self.mutants: list[Mutant] = []
        self.docstrings = self._docstrings()
        # Returns that are not a function's last statement: dropping the last one only
        # returns None, which every test notices.
        self.early_returns = {id(n) for f in ast.walk(tree)
                              if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                              for n in ast.walk(f) if isinstance(n, ast.Return)
                              and n is not f.body[-1]}
        self.class_names = self._class_body_names()
        # Tuples and lists inside subscripts are type arguments (dict[str, Any]), not values.
        self.type_parts = {id(part) for sub in ast.walk(tree) if isinstance(sub, ast.Subscript)
                           for part in ast.walk(sub.slice)}
        self.fstring_parts: set[int] = set()
        self.format_specs: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                self.fstring_parts.update(id(v) for v in node.values)
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                self.format_specs.add(id(node.format_spec))
                for part in ast.walk(node.format_spec):
                    self.fstring_parts.add(id(part))

    def _docstrings(self) -> set[int]:
        found = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    found.add(id(first.value))
        return found

    def _class_body_names(self) -> set[str]:
        """Names interpolated right after a '[' in an f-string: their strings are class bodies."""
        names = set()
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for before, value in zip(node.values, node.values[1:], strict=False):
                if isinstance(before, ast.Constant) and isinstance(before.value, str) and \
                        before.value.endswith("[") and isinstance(value, ast.FormattedValue) \
                        and isinstance(value.value, ast.Name):
                    names.add(value.value.id)
        return names

    def add(self, node: ast.AST, replacement: str, description: str,
            line: int | None = None) -> None:
        start, end = self.source.span(node)
        text = self.source.text[start:end]
        # Keep an expression that spanned lines (or needs it) safe to splice back in.
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Constant, ast.Name)):
            replacement = f"({replacement})"
        if replacement == text:
            return
        if line is None:
            description += f" (col {node.col_offset + 1})"  # type: ignore[attr-defined]
        self.mutants.append(Mutant(line or node.lineno, description, start, end,  # type: ignore
                                   replacement))

    def run(self) -> list[Mutant]:
        class_values: dict[int, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name) and \
                    node.targets[0].id in self.class_names and \
                    isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                class_values[id(node.value)] = node.targets[0].id
        for node in ast.walk(self.tree):
            self.visit(node, class_values)
        self.mutants.sort(key=lambda m: (m.line, m.start))
        return self.mutants

    def visit(self, node: ast.AST, class_values: dict[int, str]) -> None:
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                for new_op in COMPARE_SWAPS.get(type(op), []):
                    mutated = _copy(node)
                    assert isinstance(mutated, ast.Compare)
                    mutated.ops[k] = new_op()
                    self.add(node, ast.unparse(mutated),
                             f"{OP_TEXT[type(op)]} -> {OP_TEXT[new_op]} (operator {k + 1}) in "
                             f"{_short(node)}")
        elif isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            mutated = _copy(node)
            assert isinstance(mutated, ast.BoolOp)
            mutated.op = other
            names = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            self.add(node, ast.unparse(mutated), f"{names[0]} -> {names[1]} in {_short(node)}")
            for k, value in enumerate(node.values):
                rest = [v for j, v in enumerate(node.values) if j != k]
                kept = rest[0] if len(rest) == 1 else ast.BoolOp(op=node.op, values=rest)
                self.add(node, ast.unparse(kept), f"drop operand {_short(value, 40)!r} of "
                         f"{names[0]}", line=value.lineno)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.add(node, ast.unparse(node.operand), f"drop not in {_short(node)}")
        elif isinstance(node, ast.Constant):
            self.constant(node, class_values)
        elif isinstance(node, ast.JoinedStr):
            self.fstring(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                len(node.args) == 1 and not node.keywords and \
                not isinstance(node.args[0], ast.Starred):
            # f(x) -> x: an escaping, merging or converting step skipped.
            self.add(node, ast.unparse(node.args[0]), f"skip the call {_short(node)}")
        elif self.extra and isinstance(node, (ast.Tuple, ast.List)) and \
                isinstance(node.ctx, ast.Load) and len(node.elts) >= 2 and \
                id(node) not in self.type_parts:
            # --extra: one element of a tuple or list display dropped (a key loses a field).
            for k, element in enumerate(node.elts):
                rest = [e for j, e in enumerate(node.elts) if j != k]
                kind = type(node)(elts=rest, ctx=ast.Load())
                self.add(node, ast.unparse(kind), f"drop element {_short(element, 40)!r}",
                         line=element.lineno)
        elif isinstance(node, ast.Continue):
            self.add(node, "pass", "continue -> pass")
        elif isinstance(node, ast.Return) and id(node) in self.early_returns:
            self.add(node, "pass", f"drop {_short(node)}")
        elif isinstance(node, ast.Slice):
            for name in ("lower", "upper"):
                bound = getattr(node, name)
                if bound is None or (isinstance(bound, ast.Constant)):
                    continue  # constant bounds are moved by the number mutants
                for delta in ("+ 1", "- 1"):
                    self.add(bound, f"{ast.unparse(bound)} {delta}",
                             f"slice {name} bound {_short(bound)} {delta}")

    def constant(self, node: ast.Constant, class_values: dict[int, str]) -> None:
        value = node.value
        if isinstance(value, bool):
            self.add(node, repr(not value), f"{value} -> {not value}")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            for delta in (1, -1):
                new = value + delta
                self.add(node, repr(new), f"number {value!r} -> {new!r}")
        elif isinstance(value, str) and id(node) not in self.docstrings and \
                id(node) not in self.fstring_parts:
            is_class = id(node) in class_values
            if not is_class and not looks_like_regex(value):
                return
            pieces = self.source.string_lines(node)
            for edit in regex_edits(value, class_body=is_class):
                new = value[: edit.pos] + edit.new + value[edit.end :]
                where = f"{class_values[id(node)]}: " if is_class else ""
                self.add(node, repr(new), f"regex {where}{edit.what}",
                         line=line_for(pieces, edit.pos))

    def fstring(self, node: ast.JoinedStr) -> None:
        if id(node) in self.format_specs:
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and \
                        re.match(r"0?\d+", value.value):
                    spec = value.value
                    new_spec = re.sub(r"^0?\d+", "", spec)
                    # The spec belongs to the FormattedValue around it; rebuild the f-string
                    # that holds it.
                    self.spec_edit(node, spec, new_spec)
            return
        parts: list[ast.AST] = []
        text = ""
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                text += value.value
            else:
                parts.append(value)
                text += PLACEHOLDER
        if not looks_like_regex(text.replace(PLACEHOLDER, "x")):
            return
        for edit in regex_edits(text):
            new = text[: edit.pos] + edit.new + text[edit.end :]
            if new.count(PLACEHOLDER) != len(parts):
                continue
            values: list[ast.expr] = []
            chunks = new.split(PLACEHOLDER)
            for k, chunk in enumerate(chunks):
                if chunk:
                    values.append(ast.Constant(chunk))
                if k < len(parts):
                    values.append(parts[k])  # type: ignore[arg-type]
            rebuilt = ast.JoinedStr(values=values)
            self.add(node, ast.unparse(rebuilt), f"regex {edit.what}")

    def spec_edit(self, spec_node: ast.JoinedStr, spec: str, new_spec: str) -> None:
        for outer in ast.walk(self.tree):
            if not isinstance(outer, ast.JoinedStr):
                continue
            for value in outer.values:
                if isinstance(value, ast.FormattedValue) and value.format_spec is spec_node:
                    mutated = _copy(outer)
                    assert isinstance(mutated, ast.JoinedStr)
                    for new_value in mutated.values:
                        if isinstance(new_value, ast.FormattedValue) and \
                                new_value.format_spec is not None and \
                                ast.unparse(new_value) == ast.unparse(value):
                            new_value.format_spec = (
                                ast.JoinedStr([ast.Constant(new_spec)]) if new_spec else None)
                            break
                    self.add(outer, ast.unparse(mutated),
                             f"format spec {spec!r} -> {new_spec!r} in {_short(outer)}")


def printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def find_mutants(text: str, extra: bool = False) -> list[Mutant]:
    tree = ast.parse(text)
    mutants = Finder(Source(text), tree, extra).run()
    unique: dict[str, Mutant] = {}
    for mutant in mutants:
        mutated = mutant.apply(text)
        try:
            ast.parse(mutated)
        except SyntaxError:
            continue
        # Two edits that give the same file count once.
        unique.setdefault(mutated, Mutant(mutant.line, printable(mutant.description),
                                          mutant.start, mutant.end, mutant.replacement))
    return list(unique.values())


# --- putting the original back whatever happens --------------------------------------------


class Guard:
    """Writes mutants over the file and always puts the original back."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        key = hashlib.sha256(str(self.path).encode()).hexdigest()[:16]
        self.backup = Path(tempfile.gettempdir()) / f"mutate-{key}.json"
        self.original = self.path.read_text(encoding="utf-8")
        self.stat = self.path.stat()
        self.in_place = False

    def recover(self) -> None:
        """A run killed with SIGKILL left a mutant in place: put the original back first."""
        if not self.backup.exists():
            return
        saved = json.loads(self.backup.read_text(encoding="utf-8"))
        current = self.path.read_text(encoding="utf-8")
        if current == saved["mutant"]:
            self._write(saved["original"], (saved["atime"], saved["mtime"]))
            print(f"restored {self.path} from an interrupted run", file=sys.stderr)
            self.original = saved["original"]
            self.stat = self.path.stat()
        self.backup.unlink()

    def _write(self, text: str, times: tuple[float, float] | None = None) -> None:
        temp = self.path.with_name(f".{self.path.name}.mutate-tmp")
        temp.write_text(text, encoding="utf-8")
        if times:
            os.utime(temp, times)
        os.replace(temp, self.path)

    def put(self, mutated: str) -> None:
        self.backup.write_text(json.dumps({
            "original": self.original, "mutant": mutated,
            "atime": self.stat.st_atime, "mtime": self.stat.st_mtime}), encoding="utf-8")
        self.in_place = True
        self._write(mutated)

    def restore(self) -> None:
        if self.in_place:
            # The original's own time, so its cached bytecode stays valid.
            self._write(self.original, (self.stat.st_atime, self.stat.st_mtime))
            self.in_place = False
        if self.backup.exists():
            self.backup.unlink()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# --- running -------------------------------------------------------------------------------


def run_tests(command: list[str], timeout: float, env: dict[str, str]) -> tuple[str, float]:
    began = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "timeout", time.monotonic() - began
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return ("survived" if code == 0 else "killed"), time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", required=True, type=Path, help="the source file to mutate")
    parser.add_argument("--tests", default="tests", help="pytest arguments, one string")
    parser.add_argument("--only", type=int, action="append", metavar="LINE",
                        help="only mutants on this line (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="run only N mutants drawn at random (with --seed), for a quick "
                             "estimate when the tests are slow")
    parser.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    parser.add_argument("--extra", action="store_true",
                        help="also drop single elements of tuple and list displays (for keys "
                             "built as tuples, such as models.message_key)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds per mutant before it counts as killed (default 300)")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"no such file: {args.file}")

    guard = Guard(args.file)
    guard.recover()
    mutants = find_mutants(guard.original, args.extra)
    if args.only:
        mutants = [m for m in mutants if m.line in args.only]
    if args.sample is not None and args.sample < len(mutants):
        chosen = set(random.Random(args.seed).sample(range(len(mutants)), args.sample))
        mutants = [m for n, m in enumerate(mutants) if n in chosen]
    width = len(str(len(mutants)))
    if args.list:
        for n, m in enumerate(mutants, 1):
            print(f"{n:>{width}} {args.file}:{m.line}: {m.description}")
        print(f"{len(mutants)} mutants")
        return 0

    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly",
               "-p", "no:cacheprovider", *shlex.split(args.tests)]
    # No new bytecode: a mutant and the next one may share a size and a second of mtime.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    killed = 0
    survivors: list[Mutant] = []
    began = time.monotonic()
    try:
        print(f"baseline: {shlex.join(command)}", flush=True)
        status, took = run_tests(command, args.timeout, env)
        if status != "survived":
            print(f"the tests do not pass on the unchanged file ({status}); nothing to measure")
            return 2
        timeout = min(args.timeout, max(60.0, took * 3))
        for n, mutant in enumerate(mutants, 1):
            guard.put(mutant.apply(guard.original))
            try:
                status, took = run_tests(command, timeout, env)
            finally:
                guard.restore()
            if status == "survived":
                survivors.append(mutant)
            else:
                killed += 1
            print(f"{n:>{width}}/{len(mutants)} {status:<8} {args.file}:{mutant.line}: "
                  f"{mutant.description} ({took:.0f}s)", flush=True)
    except KeyboardInterrupt:
        print("interrupted; the original file is back in place", file=sys.stderr)
        return 130
    finally:
        guard.restore()
    total = len(mutants)
    ratio = killed / total if total else 1.0
    minutes = (time.monotonic() - began) / 60
    print(f"\nkilled {killed} of {total} mutants ({ratio:.1%}); {len(survivors)} survived "
          f"({minutes:.0f} min)")
    for m in survivors:
        print(f"  survived {args.file}:{m.line}: {m.description}")
    return 0 if not survivors else 1


if __name__ == "__main__":
    sys.exit(main())
