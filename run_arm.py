"""armsim: a robotic arm steered by gradients.

Run ``python run_arm.py --help`` for the options.  Without arguments the
default scene opens in a window: drag the target with the mouse; ``h`` shows
every control (:data:`armsim.view.window.BINDINGS`).
"""

try:
    from armsim.cli import main
except KeyboardInterrupt:       # Ctrl-C while armsim imports (a few tenths of a second)
    import sys
    print("armsim: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

if __name__ == "__main__":
    raise SystemExit(main())
