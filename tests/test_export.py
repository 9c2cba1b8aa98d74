"""GIF export: real files read back."""

import errno
import os
import stat
import threading
import tracemalloc

import imageio.v3 as iio
import numpy as np
import pytest

from armsim.view.export import (MAX_GIF_FRAMES, ExportError, GifWriter, export_gif, gif_delays,
                                read_durations)
from armsim.view import render_array
from armsim.ik.tracking import default_simulation


def durations(path):
    """Per-frame delays [ms] as Pillow reads them back."""
    return read_durations(path)


def test_gif_has_requested_frames_and_size_and_frames_differ(tmp_path):
    path = export_gif(default_simulation(seed=1), tmp_path / "a.gif", frames=12, fps=20, size=(160, 120))
    frames = iio.imread(path)
    assert frames.shape[:3] == (12, 120, 160)
    assert all(np.any(frames[i] != frames[i + 1]) for i in range(11))
    assert durations(path) == [50] * 12


def test_gif_pixels_match_the_rendered_frames(tmp_path):
    # the streamed encoder maps each frame to one global palette (the theme's and the first
    # frame's colours).  Measured at the default 480x360 over 240 frames: max error 2 units,
    # on 0.007 % of the pixels (imageio, one adaptive palette per frame: 0)
    sim = default_simulation(seed=3)
    truth = np.stack([render_array(sim.step(), (480, 360)) for _ in range(30)])
    path = export_gif(default_simulation(seed=3), tmp_path / "a.gif", frames=30, fps=30, size=(480, 360))
    got = iio.imread(path)[..., :3].astype(int)
    err = np.abs(got - truth).max(axis=-1)
    assert err.max() <= 2
    assert np.mean(err > 0) < 0.001


def test_true_duration_240_frames_at_30_fps_is_8_seconds(tmp_path):
    # item 5: delays were truncated to 30 ms (7.2 s); now 3, 3, 4 hundredths ... = 8.00 s
    path = export_gif(default_simulation(seed=1), tmp_path / "a.gif", frames=240, fps=30, size=(32, 24))
    d = durations(path)
    assert len(d) == 240
    assert d[:6] == [30, 40, 30, 30, 40, 30]
    assert sum(d) == 8000


@pytest.mark.parametrize("fps", [7, 24, 29.97, 33, 50, 0.5, 100 / 65535])
def test_delays_add_up_to_frames_over_fps(fps):
    for frames in (1, 2, 10, 241):
        d = gif_delays(frames, fps)
        assert min(d) >= 2 or fps < 50
        assert max(d) <= 65535
        assert abs(sum(d) * 10 - 1000 * frames / fps) <= 5


class StandStill:
    """A simulation whose state never changes: every frame is drawn the same."""

    def __init__(self):
        self.state = default_simulation(seed=0).state

    def step(self, target=None):
        return self.state


def test_identical_frames_are_all_kept_and_stay_identical(tmp_path):
    path = export_gif(StandStill(), tmp_path / "still.gif", frames=7, fps=10, size=(80, 60))
    frames = iio.imread(path)
    assert frames.shape[:3] == (7, 60, 80)
    assert all(np.array_equal(f, frames[0]) for f in frames)
    assert durations(path) == [100] * 7


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


def _disk_full_after(monkeypatch, n):
    calls = {"n": 0}
    real = GifWriter.add

    def add(self, rgb):
        calls["n"] += 1
        if calls["n"] > n:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, rgb)
    monkeypatch.setattr(GifWriter, "add", add)


def test_existing_file_is_not_truncated_by_a_failed_export(tmp_path, monkeypatch):
    target = tmp_path / "keep.gif"
    target.write_bytes(b"old contents")
    _disk_full_after(monkeypatch, 3)
    with pytest.raises(ExportError, match="^cannot write '.*keep.gif': No space left on device$"):
        export_gif(default_simulation(), target, frames=6, size=(40, 30))
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gif"]


def test_interrupt_during_export_leaves_no_temporary_file(tmp_path):
    def progress(done):
        if done == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        export_gif(default_simulation(), tmp_path / "x.gif", frames=10, size=(40, 30), progress=progress)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("kwargs, message", [
    (dict(frames=0), "frames must be an integer >= 1"),
    (dict(frames=MAX_GIF_FRAMES + 1), "frames must be <= 100,000 for a GIF export, got 100001"),
    (dict(fps=0), "fps must be a finite number > 0, got 0"),
    (dict(fps=float("inf")), "fps must be a finite number > 0, got inf"),   # ("> 0": it is)
    (dict(fps=0.001), r"fps must be >= 100/65535 = 0.0015259 for a GIF \(a frame lasts at most 655.35 s\)"),
    (dict(fps=60), "fps must be <= 50 for a GIF, got 60: GIF delays are whole hundredths"),
    (dict(size=(0, 10)), "size must be two integers >= 1"),
    (dict(size=(5000, 10)), "size must be at most 4096x4096, got 5000x10"),
])
def test_bad_settings(tmp_path, kwargs, message):
    with pytest.raises(ExportError, match=message):
        export_gif(default_simulation(), tmp_path / "x.gif", **kwargs)
    assert not any(tmp_path.iterdir())


def test_not_enough_memory_is_refused_up_front(tmp_path, monkeypatch):
    import armsim.view.export as ex
    monkeypatch.setattr(ex, "_available_memory", lambda: 100 << 20)
    with pytest.raises(ExportError, match=r"^an export at 4096x4096 needs about 560 MiB of memory; "
                                          r"100 MiB available$"):
        export_gif(default_simulation(), tmp_path / "x.gif", frames=2, size=(4096, 4096))
    assert not any(tmp_path.iterdir())


# -- destinations that are not regular files ---------------------------------------

def test_a_character_device_is_written_through_not_replaced(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))     # like /dev/null
    except PermissionError:
        pytest.skip("making a device node needs root")
    export_gif(default_simulation(), node, frames=3, size=(40, 30))
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def read():
        with open(fifo, "rb") as fh:
            got["bytes"] = fh.read()
    reader = threading.Thread(target=read)
    reader.start()
    export_gif(default_simulation(seed=2), fifo, frames=5, size=(40, 30))
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / "copy.gif").write_bytes(got["bytes"])
    assert iio.imread(tmp_path / "copy.gif").shape[:3] == (5, 30, 40)
    direct = export_gif(default_simulation(seed=2), tmp_path / "file.gif", frames=5, size=(40, 30))
    assert direct.read_bytes() == got["bytes"]


def test_a_symlink_is_followed_and_kept(tmp_path):
    target = tmp_path / "real.gif"
    target.write_bytes(b"old")
    link = tmp_path / "link.gif"
    link.symlink_to("real.gif")
    export_gif(default_simulation(), link, frames=2, size=(40, 30))
    assert link.is_symlink() and os.readlink(link) == "real.gif"
    assert iio.imread(target).shape[0] == 2
    dangling = tmp_path / "nowhere.gif"
    dangling.symlink_to("missing/x.gif")
    with pytest.raises(ExportError, match="is a symbolic link to a missing file"):
        export_gif(default_simulation(), dangling, frames=2, size=(40, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.gif", "nowhere.gif", "real.gif"]


def test_a_directory_or_socket_is_refused(tmp_path):
    import socket
    with pytest.raises(ExportError, match="it is a directory"):
        export_gif(default_simulation(), tmp_path, frames=2, size=(40, 30))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "s"))
    try:
        with pytest.raises(ExportError, match="it is a socket; refusing"):
            export_gif(default_simulation(), tmp_path / "s", frames=2, size=(40, 30))
    finally:
        sock.close()


# -- memory --------------------------------------------------------------------------

def _peak(frames):
    tracemalloc.start()
    try:
        export_gif(default_simulation(seed=1), os.devnull, frames=frames, size=(200, 150))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_frame_count():
    small, large = _peak(50), _peak(500)
    # one 200x150 frame as numpy arrays is ~ 30 B/px = 0.9 MB, plus the 16 MiB colour table;
    # keeping 500 frames would add 45 MB
    assert large < small + 2_000_000, (small, large)
