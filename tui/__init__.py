"""The envspec terminal app, a Textual client of the ``envspec`` package.

``tui`` depends on ``envspec``; ``envspec`` never imports ``tui`` or Textual.
"""
