"""An empty name given to an option or argument of the command line ('', as a script's unset
variable gives) is refused in one line with exit status 2: not taken as not given, not the
current folder."""

import pytest

from armsim.cli import main


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
