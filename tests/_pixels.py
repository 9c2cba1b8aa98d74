"""Pixel counts of rendered frames, shared by the rendering and window tests."""

import numpy as np


def count(img, color, rect=None):
    """How many pixels of ``img`` (H, W, 3) uint8 have exactly ``color``, inside the
    pygame ``rect`` when one is given."""
    if rect is not None:
        img = img[rect.top:rect.bottom, rect.left:rect.right]
    return int(np.all(img == np.array(color, dtype=np.uint8), axis=-1).sum())
