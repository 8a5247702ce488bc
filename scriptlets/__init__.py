"""The curriculum's reusable steps: Python scriptlets in ``steps``, shell ones in ``shell``."""
