"""Runs of same-shape lines shared by two model files (issue 15: one shape, one place).

A small checker of our own, read as text: each SQL line is reduced to its shape (names become
`n`, strings `«»`, numbers `0`; keywords, operators and punctuation stay; white space folds) after
blank lines, comments and lines of lone punctuation are dropped. Two files (or two places of one
file) form a pair when they share a run of `min_lines` consecutive lines of the same shape. A run
of shapes found in more than `too_common` files is an idiom (the import CTE header), not a copy,
and pairs no files.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_KEYWORD_TEXT = """
    all and any array as asc between bool_and bool_or by case cast coalesce count cross current
    date_trunc day days desc distinct else end exists extract false filter following from full
    group having in inner interval is join jsonb_agg lateral left like limit max min month not
    null nullif on or order over partition preceding range right round row rows select sum then
    true union using values week when where window with within year
"""
KEYWORDS = frozenset(_KEYWORD_TEXT.split())

_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_SQL_COMMENT = re.compile(r"--.*$")
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_WORD = re.compile(r"\b[a-z_][a-z0-9_]*\b")
_PUNCTUATION_ONLY = re.compile(r"^[\s(),;]*$")
# Thin shapes: a bare or qualified name, a CTE head, an import (`select * from {{ ref(«») }}`),
# a lone keyword, the items and brackets of a macro's list argument (names, not logic). A run
# counts only when at least `min_thick` of its lines are not thin.
_THIN = re.compile(
    r"^(?:n(?:\.n)?(?:\.\*)?,?|\*|n as \(|select(?: distinct)?|with|from n|"
    r"select \* from \{\{ n\(«»\) \}\}|\) as n|group by .*|order by .*|"
    r"«»(?:: «»)?,?|\[|\],?|\{\{ n\((?:«», )?\[?|\]?\) \}\},?)$"
)


def is_thin(line_shape: str) -> bool:
    """True for a shape every model repeats (a name, a CTE head, an import, a keyword)."""
    return bool(_THIN.match(line_shape))


def shape(line: str) -> str:
    """The shape of one line: names, strings and numbers replaced, white space folded."""
    text = _STRING.sub("«»", line.lower())
    text = _NUMBER.sub("0", text)
    text = _WORD.sub(lambda m: m.group(0) if m.group(0) in KEYWORDS else "n", text)
    return " ".join(text.split())


def shaped_lines(text: str) -> list[tuple[int, str]]:
    """(line number, shape) of every line that counts: no blanks, comments or lone punctuation."""
    # Jinja comments are blanked line for line, so line numbers stay true.
    text = _JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _SQL_COMMENT.sub("", raw)
        if _PUNCTUATION_ONLY.match(line):
            continue
        lines.append((number, shape(line)))
    return lines


@dataclass(frozen=True)
class Pair:
    """Two places sharing a run of same-shape lines: file:first line, for each side."""

    left: str
    right: str

    def __str__(self) -> str:
        return f"{self.left} ~ {self.right}"


def same_shape_pairs(
    files: Iterable[Path], root: Path, min_lines: int = 6, too_common: int = 8, min_thick: int = 3
) -> list[Pair]:
    """Every pair of places in `files` sharing a run of `min_lines` same-shape lines.

    One pair per two files (or per two distinct places of one file), named by the first run
    found; the run of shapes must stand in at most `too_common` files and hold at least
    `min_thick` lines that are not thin.
    """
    windows: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for path in sorted(files):
        name = path.relative_to(root).as_posix()
        lines = shaped_lines(path.read_text(encoding="utf-8"))
        for start in range(len(lines) - min_lines + 1):
            run = tuple(s for _, s in lines[start : start + min_lines])
            if sum(not is_thin(s) for s in run) < min_thick:
                continue
            windows[run].append((name, lines[start][0]))
    pairs: dict[tuple[str, str], Pair] = {}
    for places in windows.values():
        if len({name for name, _ in places}) > too_common:
            continue
        for i, (left_name, left_line) in enumerate(places):
            for right_name, right_line in places[i + 1 :]:
                if left_name == right_name and abs(right_line - left_line) < min_lines:
                    continue  # a run overlapping itself (a repeated line), not two places
                key = (left_name, right_name)
                if key not in pairs:
                    pairs[key] = Pair(f"{left_name}:{left_line}", f"{right_name}:{right_line}")
    return sorted(pairs.values(), key=str)
