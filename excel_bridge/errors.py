"""Exceptions that stop a run. Problems in the data are Issue values, never exceptions."""


class BridgeError(Exception):
    """Base of every error excel_bridge raises on purpose; its message is Chinese and user-facing."""


class ConfigError(BridgeError):
    """A schema, rule or settings file is missing, malformed or inconsistent."""


class UnreadableFile(BridgeError):
    """A dropped file cannot be read as a workbook at all (empty, corrupt, password, foreign format)."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint


class LedgerError(BridgeError):
    """The ledger database cannot be opened, is locked too long, or has a newer schema than this program."""


class LedgerBusy(LedgerError):
    """Another program (another workspace copy, another machine) is running a pass on this ledger."""


class LedgerUnavailable(LedgerError):
    """The ledger stopped taking work mid-pass (its server's connection lost, its disk full): the pass stops,
    what was committed stays, the files not yet applied wait in the inbox for the next pass."""


class StoreError(LedgerError):
    """The database refused a statement inside a transaction (a constraint, a value); it was rolled back."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind  # the kind of failure, the same word on every backend (IntegrityError, OperationalError…)


class WorkspaceError(BridgeError):
    """The workspace folder is missing, not initialised, or its settings are invalid."""


class TransitionRefused(BridgeError):
    """A state change was asked for that docs/domain.md's state machine does not allow."""


class UsageError(BridgeError):
    """What the command line names cannot be used as given (an output that exists, a wrong suffix, a file
    where a folder is wanted); nothing was changed."""
