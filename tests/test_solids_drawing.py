"""How draw_solids hands a robot of many triangles to pygame, judged by real pixels and by the
polygons it sends."""

import gc

import numpy as np
import pygame

from armsim.view.orbit import OrbitCamera
from armsim.view.solids import _cylinder, draw_solids

SIZE = (200, 150)
BG = (20, 22, 30)


def _ball(centre, radius, rings=24, sides=40):
    """A triangulated sphere (outward winding as the solids' meshes), 2 rings x sides
    triangles a band: vertices (V, 3), faces (F, 3)."""
    th = np.linspace(0, np.pi, rings + 1)
    ph = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    v = np.stack([np.sin(th)[:, None] * np.cos(ph), np.sin(th)[:, None] * np.sin(ph),
                  np.cos(th)[:, None] + 0 * ph], -1).reshape(-1, 3)
    f = []
    for r in range(rings):
        for s in range(sides):
            a, b = r * sides + s, r * sides + (s + 1) % sides
            f += [[a, a + sides, b + sides], [a, b + sides, b]]
    return v * radius + centre, np.array(f)


def _parts():
    """Balls of many small triangles in a row along y and a generated cylinder (quads and
    14-corner caps) through them: the mesh robots' mix."""
    parts = [(*_ball(np.array([0.0, y, 0.3]), 0.12), (200, 120 + int(100 * y), 60))
             for y in np.linspace(-0.6, 0.6, 5)]
    cv, cf = _cylinder()
    parts.append((cv * [0.05, 0.05, 1.4] + [0.0, 0.0, -0.4], cf, (90, 140, 200)))
    return parts


def _draw(parts, camera, clip=None):
    surface = pygame.Surface(SIZE)
    surface.fill(BG)
    if clip is not None:
        surface.set_clip(clip)
    px = draw_solids(surface, parts, camera, SIZE)
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2), px


def test_faces_off_the_picture_are_not_sent_and_the_picture_is_the_same(monkeypatch):
    # every face facing the eye went to pygame.draw.polygon, those wholly off the surface's
    # clip too (and pygame painted nothing of them)
    parts = _parts()
    camera = OrbitCamera.framing(0.7)
    whole, px = _draw(parts, camera)
    sent, polygon = [], pygame.draw.polygon
    monkeypatch.setattr(pygame.draw, "polygon",
                        lambda s, c, pts: sent.append(np.array(pts)) or polygon(s, c, pts))
    _draw(parts, camera)
    everything = len(sent)
    assert everything > 3000                           # (half the 9,600 triangles face us)
    sent.clear()
    clip = pygame.Rect(70, 40, 60, 50)
    part, px_part = _draw(parts, camera, clip)
    inside = np.zeros(whole.shape[:2], dtype=bool)
    inside[clip.top:clip.bottom, clip.left:clip.right] = True
    assert np.array_equal(part[inside], whole[inside])             # the same picture there
    assert (part[~inside] == BG).all() and (whole[~inside] != BG).any(axis=1).sum() > 1000
    assert np.array_equal(px_part, px)                 # the vertices it reports: all drawn
    for pts in sent:
        assert not ((pts[:, 0] < clip.left).all() or (pts[:, 0] >= clip.right).all()
                    or (pts[:, 1] < clip.top).all() or (pts[:, 1] >= clip.bottom).all())
    assert 0 < len(sent) < everything / 2


def test_corners_go_to_pygame_as_it_paints_them():
    # pygame truncates a corner's pixel towards zero: the corners sent truncated and a
    # triangle's three (not four, its last repeated) paint what the float corners painted
    rng = np.random.default_rng(5)
    for _ in range(300):
        pts = rng.uniform(-4, 30, (1, 2)) + rng.normal(0, rng.choice([0.7, 4.0]), (3, 2))
        a, b = pygame.Surface((32, 32)), pygame.Surface((32, 32))
        pygame.draw.polygon(a, (255, 255, 255), pts.tolist() + [pts[-1].tolist()])
        pygame.draw.polygon(b, (255, 255, 255), pts.astype(np.int32).tolist())
        assert np.array_equal(pygame.surfarray.array3d(a), pygame.surfarray.array3d(b))


def test_the_collector_is_back_as_it_was_after_a_drawing(monkeypatch):
    parts = _parts()
    camera = OrbitCamera.framing(0.7)
    assert gc.isenabled()
    _draw(parts, camera)
    assert gc.isenabled()
    gc.disable()
    try:
        _draw(parts, camera)
        assert not gc.isenabled()
    finally:
        gc.enable()

    def fails(*args):
        raise RuntimeError("surface lost")
    monkeypatch.setattr(pygame.draw, "polygon", fails)
    try:
        _draw(parts, camera)
    except RuntimeError:
        pass
    assert gc.isenabled()
