"""An empty name given to an option or argument of the command line ('', as a script's unset
variable gives) is refused in one line with exit status 2: not taken as not given, not the
current folder."""

import pytest

import armsim
from _real_data import SETUP, Synthetic
from armsim.cli import main
from armsim.vision.real import format_joints, format_observations


@pytest.fixture(scope="module")
def synthetic():
    return Synthetic(0)


@pytest.mark.parametrize("args, message", [
    (["--json", ""], "armsim schema: error: argument --json: expected a file name (or - for "
                     "standard output), got ''"),
    (["--markdown", ""], "armsim schema: error: argument --markdown: expected a file name, "
                         "got ''"),
])
def test_schema_refuses_an_empty_name(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["schema", *args])
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", message + "\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option, what", [("ROBOT.urdf", "a file name"),
                                          ("--joints", "a file name"),
                                          ("--observations", "a file name"),
                                          ("--images", "a folder name"),
                                          ("--setup", "a file name")])
def test_calibrate_refuses_an_empty_input_name(tmp_path, monkeypatch, capsys, synthetic, option,
                                               what):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "left").mkdir()     # (--images '' read the current folder: a camera 'left')
    (tmp_path / "robot.urdf").write_text("")
    (tmp_path / "j.csv").write_text(format_joints(synthetic.joints))
    (tmp_path / "o.csv").write_text(format_observations(synthetic.observations))
    (tmp_path / "s.toml").write_text(SETUP)
    given = {"ROBOT.urdf": str(armsim.robots.path("panda")), "--joints": "j.csv",
             "--observations": "o.csv", "--setup": "s.toml"}
    if option == "--images":
        del given["--observations"]
    given[option] = ""
    argv = ["calibrate", given.pop("ROBOT.urdf")]
    for key, value in given.items():
        argv += [key, value]
    assert main(argv + ["--out", "out.urdf"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"armsim calibrate: error: argument {option}: expected {what}, "
                              f"got ''\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.csv", "left", "o.csv",
                                                          "robot.urdf", "s.toml"]


@pytest.mark.parametrize("extra", [[], ["--robot", "panda"]])
def test_an_empty_scene_name_is_refused_not_the_default_scene(tmp_path, monkeypatch, capsys,
                                                              extra):
    monkeypatch.chdir(tmp_path)
    assert main(["", "--gif", "out.gif", "--frames", "2", "--size", "16x16", *extra]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "armsim: error: argument SCENE: expected a scene or URDF file "
                              "name, got '' (give none for the default scene)\n")
    assert list(tmp_path.iterdir()) == []
