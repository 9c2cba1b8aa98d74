"""armsim: a robotic arm steered by gradients.

Run ``python run_arm.py --help`` for the options.  Without arguments the
default scene opens in a window: drag the target with the mouse; ``h`` shows
every control (:data:`armsim.view.window.BINDINGS`).
"""

from armsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
