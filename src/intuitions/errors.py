"""Error classes. Anything derived from `UserError` is the user's to fix: the CLI prints
its message on one line and exits with code 2, never a traceback."""


class UserError(Exception):
    """Bad input: an unknown model, an unreadable file, a malformed table or option."""


class ModelNotFound(UserError):
    pass


class BadData(UserError):
    pass


class ServerError(UserError):
    """A scoring server failed or answered something we cannot trust."""
