"""``python -m armsim``: the ``armsim`` command (run a scene, ``sweep``, ``ops``)."""

from armsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
