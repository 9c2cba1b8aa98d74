"""armsim: a robotic arm steered by gradients.

Run ``python run_arm.py --help`` for the options.  Without arguments the
default scene opens in a window: drag the target with the mouse, space
pauses, r resets, Esc quits.
"""

from armsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
