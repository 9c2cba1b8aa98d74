"""bench/_docs.py: the benchmarks' --json files are written whole or not at all."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_docs", ROOT / "bench" / "_docs.py")
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)


def test_write_json_makes_the_folder_and_writes_numpy_numbers_as_floats(tmp_path):
    out = tmp_path / "runs" / "today" / "r.json"
    docs.write_json(out, {"rate": np.float64(13560.5), "rows": [np.float32(0.25)]})
    assert json.loads(out.read_text()) == {"rate": 13560.5, "rows": [0.25]}
    assert out.read_text().endswith("\n")
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.json"]


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    out.write_text('{"old": 1}\n')
    with pytest.raises(TypeError):                  # not serialisable: nothing written
        docs.write_json(out, {"fine": 1.0, "bad": object()})

    def interrupted(src, dst):                      # the rename never happens (Ctrl-C)
        raise KeyboardInterrupt
    monkeypatch.setattr(docs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        docs.write_json(out, {"new": 2.0})
    assert out.read_text() == '{"old": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_every_benchmark_writes_its_json_through_write_json():
    """No benchmark writes its --json with a plain write (an interrupted 13-minute run
    would leave half a file where the last good one was)."""
    for path in sorted((ROOT / "bench").glob("*.py")):
        text = path.read_text()
        assert "Path(args.json).write_text" not in text, path.name
        assert "open(args.json" not in text, path.name
