"""GIF export: real files read back."""

import imageio.v3 as iio
import numpy as np
import pytest

from armsim.view.export import ExportError, export_gif
from armsim.ik.tracking import default_simulation


def test_gif_has_requested_frames_and_size_and_frames_differ(tmp_path):
    path = export_gif(default_simulation(seed=1), tmp_path / "a.gif", frames=12, fps=20, size=(160, 120))
    frames = iio.imread(path)
    assert frames.shape[:3] == (12, 120, 160)
    assert all(np.any(frames[i] != frames[i + 1]) for i in range(11))
    assert iio.immeta(path)["duration"] == 50


class StandStill:
    """A simulation whose state never changes: every frame is drawn the same."""

    def __init__(self):
        self.state = default_simulation(seed=0).state

    def step(self, target=None):
        return self.state


def test_identical_frames_are_all_kept(tmp_path):
    # Pillow merges a GIF frame identical to the previous one; the exporter must not lose it
    path = export_gif(StandStill(), tmp_path / "still.gif", frames=7, fps=10, size=(80, 60))
    frames = iio.imread(path)
    assert frames.shape[:3] == (7, 60, 80)
    # and they still look the same: a few pixels (the mark, anti-aliased text after the
    # palette reduction) a few units apart
    diff = np.abs(frames.astype(int) - frames[0].astype(int))
    assert diff.max() <= 8
    assert all(np.count_nonzero(d.any(axis=-1)) < 0.01 * 80 * 60 for d in diff)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = export_gif(default_simulation(seed=4), tmp_path / "a.gif", frames=8, size=(120, 90))
    b = export_gif(default_simulation(seed=4), tmp_path / "b.gif", frames=8, size=(120, 90))
    c = export_gif(default_simulation(seed=5), tmp_path / "c.gif", frames=8, size=(120, 90))
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_unwritable_path_leaves_nothing(tmp_path):
    with pytest.raises(ExportError, match="folder .* does not exist"):
        export_gif(default_simulation(), tmp_path / "missing" / "x.gif", frames=2, size=(40, 30))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="is not a folder"):
        export_gif(default_simulation(), blocker / "x.gif", frames=2, size=(40, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_existing_file_is_not_truncated_by_a_failed_export(tmp_path, monkeypatch):
    target = tmp_path / "keep.gif"
    target.write_bytes(b"old contents")
    import armsim.view.export as ex

    def boom(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(ex.iio, "imwrite", boom)
    with pytest.raises(ExportError, match="No space left on device"):
        export_gif(default_simulation(), target, frames=2, size=(40, 30))
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gif"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(frames=0), "frames must be an integer >= 1"),
    (dict(fps=0), "fps must be > 0"),
    (dict(size=(0, 10)), "size must be two integers >= 1"),
])
def test_bad_settings(tmp_path, kwargs, message):
    with pytest.raises(ExportError, match=message):
        export_gif(default_simulation(), tmp_path / "x.gif", **kwargs)
    assert not any(tmp_path.iterdir())
