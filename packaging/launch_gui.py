"""Entry script for the PyInstaller build: the `ownvoice` command, the desktop app with no arguments.

A frozen app has no Python to start helper processes with, so the app starts them as
`ownvoice -m MODULE ARGS` (sys.executable is this program) and this script runs MODULE as `__main__`.
"""

import runpy
import sys

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "-m":  # a helper process of the app (the trainer)
        module, sys.argv = sys.argv[2], [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        sys.exit(0)
    from ownvoice.assistant.cli import main

    sys.exit(main())
