"""armsim.render in tiny pictures (16 to 200 px a side): a panel with no room for one readable
line is left out, never drawn as a column of ".." or words cut to a letter or two."""

import numpy as np
import pytest

import armsim
from armsim.view import style

SIDES = [16, 24, 32, 48, 64, 96, 128, 160, 200]


@pytest.fixture(scope="module")
def things():
    return {"planar": (armsim.Chain([0.4, 0.3, 0.2, 0.1]), [0.1, 0.2, 0.3, 0.4]),
            "panda": (armsim.robots.load("panda"), None),
            "dual_arm": (armsim.robots.load_robot("dual_arm"), None)}


def picture(thing, size, panel):
    """The picture with the panel or without; a planar chain seen the same way in both (by
    default the panel's band moves it aside)."""
    robot, q = thing
    view = None
    if isinstance(robot, armsim.Chain):
        from armsim.view import View
        view = View(size, np.zeros(2), 0.45 * min(size) / robot.reach)
    return np.asarray(armsim.render(robot, q, size=size, show_panel=panel, view=view))


@pytest.mark.parametrize("size", [(16, 600), (16, 200), (16, 40), (600, 16), (200, 16),
                                  (40, 16), (16, 16), (24, 600)])
@pytest.mark.parametrize("name", ["planar", "panda", "dual_arm"])
def test_a_panel_with_no_room_for_a_word_is_left_out(things, name, size):
    # render(chain, q, size=(16, 600), show_panel=True) drew a column of ".." (every line
    # cut to its ellipsis); 3D pictures 16 px high a line cut through its middle
    on, off = picture(things[name], size, True), picture(things[name], size, False)
    changed = np.any(on != off, axis=-1)
    assert not changed.any(), (changed.sum(), np.argwhere(changed)[:3])


def test_a_planar_arm_is_centred_when_its_panel_is_left_out(things):
    # render(chain, q, size=(96, 96), show_panel=True) drew the arm 16 px right of the centre,
    # out of the way of a band that showed nothing (18 of the 66 sizes 16..200 px a side with
    # no panel shown); now as with the panel off: centred
    chain, q = things["planar"]
    left_out = 0
    for w in SIDES:
        for h in SIDES:
            with style.text_rects() as rects:
                on = np.asarray(armsim.render(chain, q, size=(w, h), show_panel=True))
            if rects:
                continue
            left_out += 1
            off = np.asarray(armsim.render(chain, q, size=(w, h), show_panel=False))
            assert np.array_equal(on, off), ((w, h), np.argwhere(np.any(on != off, -1))[:3])
    assert left_out > 20


def test_a_planar_arm_still_makes_room_for_a_panel_shown(things):
    from armsim.view.style import DEFAULT_THEME
    chain, q = things["planar"]

    def base_x(panel):          # the middle of the base's square
        px = np.asarray(armsim.render(chain, q, size=(320, 240), show_panel=panel))
        return np.flatnonzero(np.all(px == DEFAULT_THEME.base, axis=-1).any(axis=0)).mean()
    assert abs(base_x(False) - 160) < 2
    assert abs(base_x(True) - (82 + 238 / 2)) < 2         # the middle of what the band leaves


@pytest.mark.parametrize("name", ["planar", "panda", "dual_arm"])
def test_a_panel_with_room_is_still_drawn(things, name):
    for size in [(200, 200), (320, 240), (128, 200)]:
        on, off = picture(things[name], size, True), picture(things[name], size, False)
        assert np.any(on != off, axis=-1).sum() > 200, size


class _Spy:
    """A font that notes every string it renders."""

    def __init__(self, font, seen):
        self._font, self._seen = font, seen

    def render(self, text, *args):
        self._seen.append(text)
        return self._font.render(text, *args)

    def __getattr__(self, name):
        return getattr(self._font, name)


@pytest.mark.parametrize("name", ["planar", "panda", "dual_arm"])
def test_no_size_draws_a_word_cut_to_nothing(things, name, monkeypatch):
    # 16..200 px a side: "..", "...", "fr...", "e..." and "to" (of "tool x y z") were drawn
    seen = []
    real = style._font
    monkeypatch.setattr(style, "_FONTS", {})
    for module in ("style", "planar", "spatial", "tree3d"):
        mod = __import__(f"armsim.view.{module}", fromlist=["_font"])
        if hasattr(mod, "_font"):
            monkeypatch.setattr(mod, "_font", lambda size: _Spy(real(size), seen))
    from armsim.view import spatial
    monkeypatch.setattr(spatial, "_TEXT_CACHE", {})
    for w in SIDES:
        for h in SIDES:
            picture(things[name], (w, h), True)
    assert seen
    said = [t for t in seen if t.strip()]
    bad = [t for t in said if t.endswith("..") and len(t.strip().rstrip(".").replace(" ", "")) < 3]
    assert not bad, sorted(set(bad))
    assert "to" not in said and "too" not in said


@pytest.fixture(scope="module")
def calibration():
    from pathlib import Path
    from armsim.scene import build_simulation, load
    root = Path(__file__).resolve().parents[1]
    sim = build_simulation(load(root / "scenes" / "calibrate-ga.toml"))
    return sim.step()


def test_a_2d_calibration_s_legend_never_covers_its_panel(calibration):
    # at 120 x 90 (and 64..200 px a side) the legend's rows ran up over the panel's words
    from armsim.view import render_array
    for w in SIDES + [320]:
        for h in SIDES + [240]:
            with style.text_rects() as rects:
                render_array(calibration, (w, h))
            for i, a in enumerate(rects):
                assert not any(a.colliderect(b) for b in rects[i + 1:]), ((w, h), rects)
                assert a.top >= 0, ((w, h), rects)
    with style.text_rects() as rects:
        render_array(calibration, (320, 240))
    assert len(rects) == 2                                   # both shown where they fit


@pytest.fixture(scope="module")
def calibration_3d():
    from pathlib import Path
    from armsim.scene import build_simulation, load
    root = Path(__file__).resolve().parents[1]
    sim = build_simulation(load(root / "scenes" / "calibrate-ur5-stereo.toml"))
    return sim.step()


def test_a_3d_calibration_s_words_read_whole_at_every_size(calibration_3d, monkeypatch):
    # at 200x150 the labels read "camera" / "  1:...", at 120x90 "ca..." / "  1:..." and the
    # panel "rou..." / "  1,..."; at 48 px wide the panel "..."; at 16..48 px high the header's
    # second line was cut through (drawn past the bottom) and ran over the labels and panel
    from armsim.view import calibration_spatial as C
    from armsim.view import render_array
    seen, noted = [], []
    real_font, real_wrote = style._font, C.wrote
    monkeypatch.setattr(C, "_font", lambda size: _Spy(real_font(size), seen))

    def wrote(surface, rect):
        noted.append(style.pygame.Rect(rect))
        return real_wrote(surface, rect)
    monkeypatch.setattr(C, "wrote", wrote)
    for w in SIDES + [320]:
        for h in SIDES + [240]:
            noted.clear()
            render_array(calibration_3d, (w, h))
            for i, a in enumerate(noted):
                assert a.top >= 0 and a.bottom <= h and a.left >= 0 and a.right <= w, (
                    (w, h), noted)                               # no line cut through
                assert not any(a.colliderect(b) for b in noted[i + 1:]), ((w, h), noted)
    said = [t for t in seen if t.strip()]
    bad = [t for t in said if t.endswith("..") and len(t.strip().rstrip(".").replace(" ", "")) < 3]
    assert not bad, sorted(set(bad))
    with style.text_rects() as rects:
        render_array(calibration_3d, (640, 480))
    assert len(rects) == 4                       # the header, the panel and two labels shown
