"""The Textual console: a view over the same `Console` engine that `hooktui listen` prints."""
