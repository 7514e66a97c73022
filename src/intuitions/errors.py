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


class UnreadableModel(UserError):
    """A model file or folder exists but cannot be read: not the format its name says,
    truncated, corrupt, or a config that does not parse. The message names the file."""


class UnsafeModel(UnreadableModel):
    """Weights we refuse to load because loading them could run code (a pickle that holds
    more than tensors). Nothing from the file was executed."""


class HubUnavailable(ModelNotFound):
    """A Hub id that is not in the local Hugging Face cache while the Hub cannot be reached."""


class ScoreCacheError(UserError):
    """The on-disk score cache cannot be opened (permissions, a read-only disk)."""


class LadderMismatch(UserError):
    """A ladder folder holds members trained with other settings than the ones asked for."""
