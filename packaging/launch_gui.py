"""Entry script for the PyInstaller build."""

import sys

from ownvoice.ui.app import run

sys.exit(run())
