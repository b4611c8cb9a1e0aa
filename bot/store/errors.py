"""What can go wrong with the store, phrased for the person who has to act on it.

Messages never carry field values, Telegram ids or key material, so they are safe to print
and to log.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class for the store's own errors."""


class StoreConfigError(StoreError):
    """The store cannot start as configured; the message says what to fix (fit to print)."""


class StoreUnavailable(StoreError):
    """The database or the key store cannot be reached right now; retrying later may work."""


class DecryptionError(StoreError):
    """A ciphertext could not be opened: altered, moved, or its data key was shredded."""

    def __init__(self) -> None:
        super().__init__("stored data could not be decrypted")
