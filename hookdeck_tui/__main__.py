"""`python -m hookdeck_tui` runs the same CLI as the `hooktui` command."""

from hookdeck_tui.cli import main

raise SystemExit(main())
