"""The one exception type for user mistakes: the CLI prints its message and exits 2."""


class UserError(Exception):
  """Something the user can fix; the message says what to do."""
