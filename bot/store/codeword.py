"""Code words of kept cases, hashed with scrypt (the `cryptography` package).

A record is `version | log2(n) | r | p | salt (16) | hash (32)`, so the cost can be raised
later without breaking words already set. Deriving takes about 50-100 ms and 32 MiB on
purpose (a stolen database must not give up short words quickly): callers run it in a thread
so the event loop keeps serving other chats meanwhile.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bot.flow.codeword import normalise

VERSION = 1
LOG2_N = 15  # n = 32768, r = 8: 32 MiB per hash
R = 8
P = 1
SALT = 16
LENGTH = 32


def derive(word: str) -> bytes:
    """A new record for `word`, with a fresh random salt."""
    salt = secrets.token_bytes(SALT)
    digest = _kdf(salt, LOG2_N, R, P).derive(normalise(word).encode("utf-8"))
    return bytes((VERSION, LOG2_N, R, P)) + salt + digest


def verify(word: str, record: bytes) -> bool:
    """Whether `word` is the one the record was made from (compared in constant time)."""
    if len(record) != 4 + SALT + LENGTH or record[0] != VERSION:
        return False
    log2_n, r, p = record[1], record[2], record[3]
    salt, digest = record[4 : 4 + SALT], record[4 + SALT :]
    try:
        _kdf(salt, log2_n, r, p).verify(normalise(word).encode("utf-8"), digest)
    except InvalidKey:
        return False
    return True


def _kdf(salt: bytes, log2_n: int, r: int, p: int) -> Scrypt:
    return Scrypt(salt=salt, length=LENGTH, n=1 << log2_n, r=r, p=p)
