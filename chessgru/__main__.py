"""``python -m chessgru`` is the same as the ``chessgru`` command."""

from chessgru.cli import main

raise SystemExit(main())
