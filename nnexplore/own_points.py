"""Your own points: a dataset a learner places by hand on the toy plane, and its form in a link.

A point is ``(x, y, class)``: x and y on the plane ``[-PLANE, PLANE]``², the one the toy
problems' standardised data lies on (most of it within 2 standard deviations of 0; the
decision regions add a margin of 0.5 around the data, nnexplore.snapshots.data_bounds), and a
class from 0 to 3 (at most 4 classes, like ``blobs``), up to ``MAX_POINTS`` of them.

**The link's form.** Each point is 3 characters of base64url (``A``–``Z``, ``a``–``z``,
``0``–``9``, ``-``, ``_``: nothing a URL escapes), so 200 points take 600 characters and a
teacher's link stays short enough for a chat message or a course page (many cut links at
about 2,000 characters; "x,y,c" with two decimals would take up to 13 bytes a point, 2,600
for 200). The 3 characters are 18 bits: 8 for x, 8 for y (each axis cut into 256 levels,
one every 4/255 ≈ 0.016 of the plane's units: about one CSS pixel of the pad's plane,
223 to 244 px wide, nnexplore.ui.point_pad) and 2 for the class. Every 3 characters of the alphabet
name exactly one point, so a text is read back exactly as it was written and no code can
name a point off the plane or a class above 3: a broken link shows as a length that is not
a multiple of 3, a character outside the alphabet, or too many points. An empty text is an
empty plane. Example: ``"AAA__9"`` is (-2.0, -2.0, class 0) and (2.0, 2.0, class 1).

**Training on them.** Every 5th point you place (the 5th, 10th, …) is kept back for
testing and the others are trained on, so the split is the toy problems' 80/20 and the same
for everybody who opens the link. So a run needs at least 5 points (the first test point)
and training points of at least 2 classes. The network gets one output per class up to the
highest one used (at least 2), so a class keeps its number, and its colour, everywhere.

No torch and no streamlit: the settings (nnexplore.config) read it, and so do the data
(nnexplore.data.toy) and the pad.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The plane is [-PLANE, PLANE]²: the range the toy problems' standardised points fill.
PLANE = 2.0
#: Levels per axis: 8 bits, one every 4/255 ≈ 0.016 units (about one CSS px of the pad).
LEVELS = 256
#: Classes 0 to 3: 2 bits, as many as the largest toy problem (blobs) has.
MAX_CLASSES = 4
#: At most 200 points: 600 characters of link, and as many as a learner places by hand.
MAX_POINTS = 200
#: Characters per point: 18 bits (8 + 8 + 2) in base64url's 6 bits a character.
CHARS_PER_POINT = 3
#: Every TEST_EVERY-th point placed is a test point: 1 in 5, the toy problems' 80/20 split.
TEST_EVERY = 5
#: A run needs the first test point, which is the 5th point placed.
MIN_POINTS = TEST_EVERY

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}

#: A point: x, y on the plane and its class.
Point = tuple[float, float, int]

USED_INSTEAD = "The starter points were used instead."


def level(value: float) -> int:
    """The level (0 to 255) nearest to a coordinate on the plane."""
    return round((value + PLANE) / (2 * PLANE) * (LEVELS - 1))


def coordinate(lev: int) -> float:
    """The coordinate of a level: -2.0 at level 0, 2.0 at level 255."""
    return -PLANE + 2 * PLANE * lev / (LEVELS - 1)


def snap(points: Sequence[Point]) -> tuple[Point, ...]:
    """The points as the link keeps them: each coordinate moved to its nearest level."""
    return tuple((coordinate(level(x)), coordinate(level(y)), int(c)) for x, y, c in points)


def check(points: Sequence[Point]) -> str | None:
    """What makes these points impossible to write, in words, or None when they are fine.

    Points come from Python here (a notebook, a test); a text from a link is checked by
    ``fault``. A point must lie on the plane and have a class from 0 to 3.
    """
    if len(points) > MAX_POINTS:
        return f"There are {len(points):,} points, but the plane holds {MAX_POINTS} at most."
    for i, point in enumerate(points, start=1):
        try:
            x, y, c = point
            on_plane = all(-PLANE <= float(v) <= PLANE for v in (x, y))
        except (TypeError, ValueError):
            return f"Point {i} is not an (x, y, class) triple."
        if not on_plane:
            return (
                f"Point {i} is at ({float(x):g}, {float(y):g}), off the plane: both coordinates must lie "
                f"between {-PLANE:g} and {PLANE:g}."
            )
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < MAX_CLASSES:
            return f"Point {i} has class {c!r}, but the classes are 0 to {MAX_CLASSES - 1}."
    return None


def format(points: Sequence[Point]) -> str:
    """The link's text for these points (3 characters a point, in the order placed).

    Raises ValueError in words (``check``) for a point off the plane, a class other than
    0 to 3 or more than 200 points: the caller made them, and they cannot be written.
    """
    problem = check(points)
    if problem:
        raise ValueError(problem)
    out = []
    for x, y, c in points:
        code = level(float(x)) << 10 | level(float(y)) << 2 | c
        out.append(ALPHABET[code >> 12] + ALPHABET[code >> 6 & 63] + ALPHABET[code & 63])
    return "".join(out)


def fault(text: object) -> str | None:
    """What is wrong with a link's points text, in words, or None when it can be read.

    The length is checked first, so junk of any size is refused without being read through.
    The words never repeat the text (a link may carry anything).
    """
    if not isinstance(text, str):
        return "The points are not text."
    if len(text) > MAX_POINTS * CHARS_PER_POINT:
        return (
            f"The points code is {len(text):,} characters long, more than the "
            f"{MAX_POINTS * CHARS_PER_POINT} characters of the {MAX_POINTS} points the plane holds."
        )
    if len(text) % CHARS_PER_POINT:
        return (
            f"The points code's {len(text)} characters are not a whole number of points "
            f"({CHARS_PER_POINT} characters each): part of the link may be missing."
        )
    bad = next((ch for ch in text if ch not in _INDEX), None)
    if bad is not None:
        return f"The points code holds {bad!r}, a character it never uses (only letters, digits, - and _)."
    return None


def decode(text: str) -> tuple[Point, ...]:
    """The points of a text that has no ``fault`` (KeyError or ValueError otherwise)."""
    points = []
    for i in range(0, len(text), CHARS_PER_POINT):
        a, b, c = (_INDEX[ch] for ch in text[i : i + CHARS_PER_POINT])
        code = a << 12 | b << 6 | c
        points.append((coordinate(code >> 10), coordinate(code >> 2 & 255), code & 3))
    return tuple(points)


def parse(text: object) -> tuple[tuple[Point, ...], str | None]:
    """(the points, None) for a readable text; (the starter points, what was wrong and what is
    used instead) for anything else. Never raises: a link may carry anything."""
    problem = fault(text)
    if problem:
        return STARTER, f"{problem} {USED_INSTEAD}"
    return decode(text), None  # type: ignore[arg-type]  # fault() said it is a str


def is_test(index: int) -> bool:
    """Whether the point placed ``index``-th (from 0) is kept for testing: every 5th one."""
    return index % TEST_EVERY == TEST_EVERY - 1


def split(points: Sequence[Point]) -> tuple[tuple[Point, ...], tuple[Point, ...]]:
    """(training points, test points): every 5th point placed is a test point."""
    train = tuple(p for i, p in enumerate(points) if not is_test(i))
    test = tuple(p for i, p in enumerate(points) if is_test(i))
    return train, test


def n_classes(points: Sequence[Point]) -> int:
    """The network's outputs for these points: up to the highest class used, at least 2.

    A class keeps its number (and so its colour) even when a lower one is not used: class 2
    alone with class 0 gives 3 outputs, one of them never the answer.
    """
    return max(2, max((int(c) for _, _, c in points), default=0) + 1)


def _class_counts(points: Sequence[Point]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for _, _, c in points:
        counts[int(c)] = counts.get(int(c), 0) + 1
    return dict(sorted(counts.items()))


def cannot_train(points: Sequence[Point]) -> str:
    """'' when a run can learn these points, else why not and what to do, in plain words.

    A run needs a test point (the 5th placed) and training points of 2 classes at least:
    a network learns to tell classes apart, and one class alone has nothing to tell apart.
    """
    if not points:
        return (
            f"The plane is empty: click it to place points, at least {MIN_POINTS} of two classes, then train."
        )
    if len(points) < MIN_POINTS:
        placed = "1 point is" if len(points) == 1 else f"{len(points)} points are"
        return (
            f"{placed} too few to train on: place at least {MIN_POINTS}. Every {TEST_EVERY}th "
            "point is kept back for testing, and the 5th is the first."
        )
    train, _ = split(points)
    classes = _class_counts(points)
    if len(classes) < 2:
        return (
            f"Every point is of class {next(iter(classes))}: a network learns to tell classes "
            "apart, so place some points of another class."
        )
    train_classes = _class_counts(train)
    if len(train_classes) < 2:
        return (
            f"Every point trained on is of class {next(iter(train_classes))} (every {TEST_EVERY}th "
            "point is kept back for testing): place another point of another class."
        )
    return ""


def summary(points: Sequence[Point]) -> str:
    """The points in a few words: how many of each class, how many are kept for testing."""
    if not points:
        return f"No points yet (up to {MAX_POINTS})."
    counts = ", ".join(f"{n} of class {c}" for c, n in _class_counts(points).items())
    _, test = split(points)
    total = "1 point" if len(points) == 1 else f"{len(points)} points"
    kept = (
        f"{len(test)} of them (every {TEST_EVERY}th placed, drawn as rings) kept for testing"
        if test
        else f"none kept for testing yet (every {TEST_EVERY}th placed will be)"
    )
    return f"{total} ({counts}); {kept}."


def label(text: str) -> str:
    """How a run's points read in its name beside other runs: "12 own points"."""
    points, problem = parse(text)
    return "starter points" if problem else f"{len(points)} own points"


#: The points a link without its own opens with: two classes of 6 on either side of the
#: diagonal, placed in turn so that the 5th and 10th (kept for testing) are one of each.
STARTER: tuple[Point, ...] = snap(
    [
        (-1.2, -0.4, 0),
        (0.6, 1.2, 1),
        (-0.8, -1.2, 0),
        (1.2, 0.2, 1),
        (-1.4, 0.6, 0),
        (0.2, 0.6, 1),
        (-0.2, -0.8, 0),
        (1.4, 1.4, 1),
        (-1.6, -1.6, 0),
        (0.9, -0.6, 1),
        (-0.4, 0.2, 0),
        (1.6, -1.2, 1),
    ]
)
STARTER_TEXT = format(STARTER)
