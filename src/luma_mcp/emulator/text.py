"""A tiny bitmap font of our own, so the emulators can write on their frames with no font file.

5x7 pixels per glyph: capitals, digits and ASCII punctuation. Text is folded to what the font has
(lower case to capitals, accents dropped, anything else to `?`); each lit pixel becomes a `scale` x
`scale` block, drawn straight into one 8-bit plane (the luma plane of a yuv420p frame) or into every
channel of an interleaved one (the rgb24 contact sheets of media/preview.py).
"""

from __future__ import annotations

import unicodedata
from functools import cache

GLYPH_WIDTH, GLYPH_HEIGHT = 5, 7
ADVANCE = GLYPH_WIDTH + 1  # a column of space between glyphs
LINE = GLYPH_HEIGHT + 2  # two rows between lines

# One glyph a line: the character, then its 7 rows from the top, `#` lit.
_TABLE = r"""
A .###. #...# #...# ##### #...# #...# #...#
B ####. #...# #...# ####. #...# #...# ####.
C .###. #...# #.... #.... #.... #...# .###.
D ####. #...# #...# #...# #...# #...# ####.
E ##### #.... #.... ####. #.... #.... #####
F ##### #.... #.... ####. #.... #.... #....
G .###. #...# #.... #.### #...# #...# .####
H #...# #...# #...# ##### #...# #...# #...#
I .###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.
J ..### ...#. ...#. ...#. ...#. #..#. .##..
K #...# #..#. #.#.. ##... #.#.. #..#. #...#
L #.... #.... #.... #.... #.... #.... #####
M #...# ##.## #.#.# #.#.# #...# #...# #...#
N #...# #...# ##..# #.#.# #..## #...# #...#
O .###. #...# #...# #...# #...# #...# .###.
P ####. #...# #...# ####. #.... #.... #....
Q .###. #...# #...# #...# #.#.# #..#. .##.#
R ####. #...# #...# ####. #.#.. #..#. #...#
S .#### #.... #.... .###. ....# ....# ####.
T ##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..
U #...# #...# #...# #...# #...# #...# .###.
V #...# #...# #...# .#.#. .#.#. ..#.. ..#..
W #...# #...# #...# #.#.# #.#.# #.#.# .#.#.
X #...# #...# .#.#. ..#.. .#.#. #...# #...#
Y #...# #...# .#.#. ..#.. ..#.. ..#.. ..#..
Z ##### ....# ...#. ..#.. .#... #.... #####
0 .###. #...# #..## #.#.# ##..# #...# .###.
1 ..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.
2 .###. #...# ....# ...#. ..#.. .#... #####
3 ##### ...#. ..#.. ...#. ....# #...# .###.
4 ...#. ..##. .#.#. #..#. ##### ...#. ...#.
5 ##### #.... ####. ....# ....# #...# .###.
6 ..##. .#... #.... ####. #...# #...# .###.
7 ##### ....# ...#. ..#.. .#... .#... .#...
8 .###. #...# #...# .###. #...# #...# .###.
9 .###. #...# #...# .#### ....# ...#. .##..
. ..... ..... ..... ..... ..... .##.. .##..
, ..... ..... ..... ..... .##.. ..#.. .#...
: ..... .##.. .##.. ..... .##.. .##.. .....
; ..... .##.. .##.. ..... .##.. ..#.. .#...
! ..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..
? .###. #...# ....# ...#. ..#.. ..... ..#..
' ..#.. ..#.. .#... ..... ..... ..... .....
" .#.#. .#.#. ..... ..... ..... ..... .....
- ..... ..... ..... ##### ..... ..... .....
_ ..... ..... ..... ..... ..... ..... #####
+ ..... ..#.. ..#.. ##### ..#.. ..#.. .....
= ..... ..... ##### ..... ##### ..... .....
/ ..... ....# ...#. ..#.. .#... #.... .....
\ ..... #.... .#... ..#.. ...#. ....# .....
( ...#. ..#.. .#... .#... .#... ..#.. ...#.
) .#... ..#.. ...#. ...#. ...#. ..#.. .#...
[ .###. .#... .#... .#... .#... .#... .###.
] .###. ...#. ...#. ...#. ...#. ...#. .###.
< ...#. ..#.. .#... #.... .#... ..#.. ...#.
> .#... ..#.. ...#. ....# ...#. ..#.. .#...
# .#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.
% ##... ##..# ...#. ..#.. .#... #..## ...##
& .##.. #..#. #.#.. .#... #.#.# #..#. .##.#
* ..... ..#.. #.#.# .###. #.#.# ..#.. .....
@ .###. #...# ....# .##.# #.#.# #.#.# .###.
$ ..#.. .#### #.#.. .###. ..#.# ####. ..#..
| ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..
^ ..#.. .#.#. #...# ..... ..... ..... .....
~ ..... ..... .#... #.#.# ...#. ..... .....
` .#... ..#.. ..... ..... ..... ..... .....
{ ...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.
} .#... ..#.. ..#.. ...#. ..#.. ..#.. .#...
"""
_SUBSTITUTES = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u00b7": "-", "\u00d7": "X", "\t": " ", "\n": " ", "\r": " ",
}  # fmt: skip
Runs = tuple[tuple[tuple[int, int], ...], ...]  # per row, the (column, length) of each lit run


@cache
def _glyphs() -> dict[str, Runs]:
    glyphs: dict[str, Runs] = {" ": ((),) * GLYPH_HEIGHT}
    for line in _TABLE.strip("\n").splitlines():
        char, *rows = line.split(" ")
        glyphs[char] = tuple(_runs(row) for row in rows)
    return glyphs


def _runs(row: str) -> tuple[tuple[int, int], ...]:
    runs: list[tuple[int, int]] = []
    for column, pixel in enumerate(row):
        if pixel != "#":
            continue
        if runs and runs[-1][0] + runs[-1][1] == column:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((column, 1))
    return tuple(runs)


def fold(text: str) -> str:
    """`text` in the characters the font has."""
    glyphs = _glyphs()
    out: list[str] = []
    for char in text:
        char = _SUBSTITUTES.get(char, char).upper()
        if all(c in glyphs for c in char):
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode().upper()
        out.append(plain if plain and all(c in glyphs for c in plain) else "?")
    return "".join(out)


def text_width(text: str, scale: int) -> int:
    """Pixels `text` (already folded) takes, without the trailing space column."""
    return max(0, len(text) * ADVANCE - 1) * scale


def wrap(text: str, columns: int, lines: int) -> list[str]:
    """At most `lines` lines of at most `columns` characters, broken at spaces; `...` marks a cut."""
    words, out, current = fold(" ".join(text.split())).split(" "), [], ""
    for word in words:
        while len(word) > columns:  # a word longer than a line is split where the line ends
            room = columns - len(current) - (1 if current else 0)
            if room <= 0:
                out.append(current)
                current = ""
                continue
            current = f"{current} {word[:room]}" if current else word[:room]
            word = word[room:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= columns:
            current = candidate
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) > lines:
        out, room = out[:lines], max(0, columns - 3)
        last = out[-1]
        if len(last) > room:
            cut = last[:room]
            last = cut.rsplit(" ", 1)[0] if last[room] != " " and " " in cut else cut
        out[-1] = last.rstrip() + "..."
    return out


def draw_text(
    plane: bytearray, stride: int, x: int, y: int, text: str, scale: int, value: int, right: int, channels: int = 1
) -> None:
    """Draw folded `text` with its top-left corner at (x, y); glyphs that would pass column `right`
    (or the plane's last row) are left out rather than wrapped into the next row. `channels`: bytes per
    pixel, each set to `value` (3 draws grey on an interleaved rgb24 plane, as the previews are)."""
    glyphs = _glyphs()
    rows = len(plane) // stride
    if y < 0 or y + GLYPH_HEIGHT * scale > rows:
        return
    fills = {length: bytes([value]) * (length * scale * channels) for length in range(1, GLYPH_WIDTH + 1)}
    for index, char in enumerate(text):
        left = x + index * ADVANCE * scale
        if left < 0 or left + GLYPH_WIDTH * scale > right:
            continue
        for row, runs in enumerate(glyphs.get(char, glyphs["?"])):
            for column, length in runs:
                start = left + column * scale
                for line in range(y + row * scale, y + (row + 1) * scale):
                    offset = line * stride + start * channels
                    plane[offset : offset + length * scale * channels] = fills[length]
