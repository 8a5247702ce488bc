"""Python scriptlets of the curriculum, one per module, each runnable with ``python -m``."""
