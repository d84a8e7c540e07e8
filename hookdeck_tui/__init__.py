"""hookdeck-tui: a local-first webhook developer console for the terminal (`hooktui`)."""

__version__ = "0.1.0"
