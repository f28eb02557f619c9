"""``python -m bridge.cli``: the same as the ``bridge`` command."""

from bridge.cli.main import main

raise SystemExit(main())
