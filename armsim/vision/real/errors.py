"""One-line errors for a real robot's data files, and the small checks they share.

Every problem in ``joints.csv``, ``obs.csv``, ``setup.toml`` or an image is a
:class:`DataError` whose text is one line naming the file and where in it::

    obs.csv: line 7 (pose 'p3', camera 'left'): marker 9 is not in the setup (markers: 1, 2)

This module imports nothing from OpenCV or pygame.
"""

from __future__ import annotations

import difflib
import math
import re

from armsim.files import InputError, read_regular, short_name

__all__ = ["DataError", "read_text", "suggest", "show", "check_name", "NAME"]

SHOWN = 40                       # characters of a user's value echoed in a message
#: a camera or pose name: it is also a folder or file name (``DIR/<camera>/<pose>.png``)
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


class DataError(ValueError):
    """Real-robot data that cannot be used; ``str(err)`` is one line.

    Attributes
    ----------
    source : str   the file (as given)
    where : str    the place in it (``"line 4 (pose 'p3')"``, ``"camera[1].fx"``) or ``""``
    detail : str   what is wrong
    """

    def __init__(self, source, where, detail):
        self.source, self.where, self.detail = str(source), str(where), str(detail)
        place = f"{self.where}: " if self.where else ""
        super().__init__(f"{short_name(self.source)}: {place}{self.detail}")   # (a long one cut)


def show(value) -> str:
    """``repr`` of a user's value, cut to :data:`SHOWN` characters, on one line."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 3] + "..."


def suggest(word, choices) -> str:
    """``" (did you mean 'x'?)"`` for a close match among ``choices``, else ``""``."""
    if len(str(word)) > 4 * SHOWN:            # difflib is quadratic; a long word is no typo
        return ""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_text(path, limit) -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``limit`` bytes)."""
    try:
        data = read_regular(path, limit)
    except InputError as exc:
        raise DataError(path, "", str(exc)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(path, "", f"not UTF-8 text (byte {exc.start})") from None


def check_name(value, what, source, where):
    """A camera or pose name usable as a file name, or a :class:`DataError`."""
    if not isinstance(value, str) or not NAME.match(value):
        raise DataError(source, where, f"{what} must be 1 to 100 letters, digits, '_', '.' or "
                        f"'-' (not starting with '.' or '-'), got {show(value)}")
    return value


def finite(text, source, where, what):
    """``float(text)``, refused with a :class:`DataError` unless finite.  Python's
    ``float`` also reads ``1_0`` as 10 and other scripts' digits (``'\u0661'`` as 1): a
    joint reading or a pixel is refused unless written in ASCII without ``_``."""
    try:
        if isinstance(text, str) and (not text.isascii() or "_" in text):
            raise ValueError(text)
        value = float(text)
    except (TypeError, ValueError):
        raise DataError(source, where, f"{what}: not a number: {show(text)}") from None
    if not math.isfinite(value):
        raise DataError(source, where, f"{what}: not a finite number: {show(text)}")
    return value
