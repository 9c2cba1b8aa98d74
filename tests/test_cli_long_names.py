"""A missing SCENE whose name is as long as a file name may be, or longer, is one line with
exit status 2 (its check for a shipped robot's name raised 'File name too long')."""

import pytest

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
