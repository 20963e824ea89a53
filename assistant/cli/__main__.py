"""``python -m ownvoice.assistant.cli``: the same as the ``ownvoice`` command."""

import sys

from . import main

sys.exit(main())
