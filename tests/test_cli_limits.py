"""Values at their limits, each one line with exit status 2: a missing SCENE whose name is as
long as a file name may be, or longer (its check for a shipped robot's name raised 'File name
too long'); --frames over what a GIF holds (the limit --help states); the GIF a run without a
display writes instead, when it cannot be written."""

import sys

import pytest

import armsim
from armsim.cli import main


@pytest.mark.parametrize("name", ["a" * 250 + ".toml", "a" * 251 + ".toml", "a" * 300 + ".toml",
                                  "a" * 300 + ".urdf", "b" * 5000])
def test_a_long_missing_scene_name_is_one_line(tmp_path, monkeypatch, capsys, name):
    monkeypatch.chdir(tmp_path)
    assert main([name, "--gif", "out.gif", "--frames", "2", "--size", "16x16"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and len(err) < 300, err
    assert err.rstrip().endswith(("No such file or directory", "File name too long",
                                  "no such file")), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("frames", ["100001", "1000001", "99999999999999999999"])
def test_too_many_frames_are_refused_with_the_gif_limit_the_help_states(tmp_path, monkeypatch,
                                                                        capsys, frames):
    monkeypatch.chdir(tmp_path)     # (over 1,000,000 it said "must be <= 1000000", and
    assert main(["--gif", "out.gif", "--frames", frames]) == 2     # then 1,000,000 was refused)
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"armsim: error: argument --frames: must be <= 100,000 for a GIF "
                              f"export, got {frames}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_fallback_gif_that_cannot_be_written_says_why_it_was_written(tmp_path, monkeypatch,
                                                                        capsys):
    # no display: the run writes armsim-demo.gif instead of opening a window; when that
    # fails, the one line said only "cannot write 'armsim-demo.gif'", of a file not asked for
    for name in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "armsim-demo.gif").mkdir()
    assert main(["--frames", "2", "--size", "16x16"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "armsim: error: no display available (neither DISPLAY nor "
                              "WAYLAND_DISPLAY is set); writing armsim-demo.gif instead: cannot "
                              "write 'armsim-demo.gif': it is a directory (give --gif OUT)\n")
    assert [p.name for p in tmp_path.iterdir()] == ["armsim-demo.gif"]


def test_a_missing_urdf_name_just_under_the_limit_is_one_line(tmp_path, monkeypatch):
    # 251 bytes: the file's own name fits, the models folder's name.urdf (256) does not; the
    # check for a shipped robot's name raised OSError 'File name too long' from load_urdf
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r": no such file$"):
        armsim.load_urdf("x" * 251)
