"""Envelope encryption and pseudonyms.

Every sensitive field is sealed with AES-256-GCM under a data key (DEK) of its own record,
with associated data naming table, row and column, so a ciphertext copied elsewhere fails to
open. Data keys are wrapped by a versioned master key (KEK) and live in a separate key store:
deleting a data key makes every copy of its ciphertext unreadable (crypto-shredding).
Telegram ids are replaced by HMAC-SHA256 pseudonyms under a separate secret key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.store.errors import DecryptionError, StoreConfigError

FORMAT = b"\x01"  # first byte of every sealed value: lets the layout change later
NONCE_BYTES = 12  # random per encryption (never a counter): per-record keys keep counts tiny
KEY_BYTES = 32
MIN_DISTINCT_BYTES = 16  # 32 random bytes almost surely hold 25+ different values
PAD_TO = 64  # plaintext is padded so ciphertext length says little about the answers
MAX_PLAINTEXT = 512 * 1024  # refused before encrypting, far below AES-GCM's own limit
_KEK_CHECK = b"helpline master key check"
_PSEUDONYM_CHECK = b"helpline pseudonym key check"
_MASTER_ENTRY = re.compile(r"^v(\d{1,6}):([A-Za-z0-9+/=_-]+)$")


def aad(table: str, row: str, column: str) -> bytes:
    """Associated data binding a ciphertext to exactly one field of one row."""
    return f"helpline/v1|{table}|{row}|{column}".encode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("value too large to store")
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def unseal(key: bytes, blob: bytes, associated: bytes) -> bytes:
    """Open a sealed value; any damage, move or wrong key raises a bare DecryptionError."""
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT:
        raise DecryptionError
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, associated)
    except InvalidTag:
        raise DecryptionError from None


def encode_json(value: Any) -> bytes:
    """JSON, padded so the ciphertext length says little; checked before any encryption."""
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % PAD_TO)  # JSON ignores trailing whitespace
    if len(raw) > MAX_PLAINTEXT:
        raise ValueError("value too large to store")
    return raw


def seal_json(key: bytes, value: Any, associated: bytes) -> bytes:
    return seal(key, encode_json(value), associated)


def unseal_json(key: bytes, blob: bytes, associated: bytes) -> Any:
    raw = unseal(key, blob, associated)
    try:
        return json.loads(raw)
    except ValueError:
        raise DecryptionError from None


@dataclass(frozen=True, slots=True)
class MasterKey:
    version: int
    key: bytes = field(repr=False)


class MasterKeys:
    """The configured master key versions; the highest version wraps new data keys."""

    __slots__ = ("_keys",)

    def __init__(self, keys: dict[int, bytes]) -> None:
        if not keys:
            raise StoreConfigError("the master key is empty")
        self._keys = dict(keys)

    def __repr__(self) -> str:
        return f"MasterKeys(versions={sorted(self._keys)})"

    @classmethod
    def parse(cls, text: str, source: str) -> MasterKeys:
        """`v2:<base64>,v1:<base64>` (commas, spaces or lines between entries)."""
        keys: dict[int, bytes] = {}
        entries = [e for e in re.split(r"[\s,]+", text.strip()) if e]
        if not entries:
            raise StoreConfigError(f"{source} is empty")
        for n, entry in enumerate(entries, 1):
            match = _MASTER_ENTRY.match(entry)
            key = _b64(match.group(2)) if match else None
            if match is None or key is None or len(key) != KEY_BYTES:
                raise StoreConfigError(
                    f"{source}: entry {n} is not of the form v<N>:<base64 of 32 bytes> "
                    "(make one with `helpline keys generate`)"
                )
            if len(set(key)) < MIN_DISTINCT_BYTES:
                raise StoreConfigError(
                    f"{source}: entry {n} is not a random key (too few different bytes); "
                    "make one with `helpline keys generate`"
                )
            version = int(match.group(1))
            if version in keys:
                raise StoreConfigError(f"{source}: version v{version} appears twice")
            keys[version] = key
        return cls(keys)

    @property
    def versions(self) -> list[int]:
        return sorted(self._keys)

    @property
    def newest(self) -> int:
        return max(self._keys)

    def has(self, version: int) -> bool:
        return version in self._keys

    def wrap(self, key_id: str, data_key: bytes) -> tuple[int, bytes]:
        version = self.newest
        return version, seal(self._keys[version], data_key, _dek_aad(key_id))

    def unwrap(self, key_id: str, version: int, wrapped: bytes) -> bytes:
        key = self._keys.get(version)
        if key is None:
            raise DecryptionError
        return unseal(key, wrapped, _dek_aad(key_id))

    def check_value(self, version: int) -> str:
        """A value stored beside the data to recognise this key later, revealing nothing."""
        blob = seal(self._keys[version], _KEK_CHECK, f"kek-check|v{version}".encode())
        return base64.b64encode(blob).decode()

    def verify(self, version: int, check: str) -> bool:
        blob = _b64(check)
        if blob is None:
            return False
        try:
            unseal(self._keys[version], blob, f"kek-check|v{version}".encode())
        except DecryptionError:
            return False
        return True


def generate_master_key(version: int) -> str:
    return f"v{version}:{base64.b64encode(new_data_key()).decode()}"


def generate_secret() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


def _dek_aad(key_id: str) -> bytes:
    return f"helpline/dek|{key_id}".encode()


def _b64(text: str) -> bytes | None:
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


class Pseudonyms:
    """Keyed pseudonyms for Telegram ids: stable lookups without storing the ids."""

    __slots__ = ("_key",)
    MIN_KEY = 32
    MIN_DISTINCT = 12  # a generated key has ~30; "aaaa…" or "abab…" is someone's placeholder

    def __init__(self, key: str) -> None:
        material = key.strip().encode()
        if len(material) < self.MIN_KEY:
            raise StoreConfigError(
                f"the pseudonym key is too short (at least {self.MIN_KEY} characters; "
                "make one with `helpline keys generate --pseudonym`)"
            )
        if len(set(material)) < self.MIN_DISTINCT:
            raise StoreConfigError(
                "the pseudonym key is too predictable (too few different characters); make one "
                "with `helpline keys generate --pseudonym`"
            )
        self._key = material

    def __repr__(self) -> str:
        return "Pseudonyms(<secret>)"

    def _mac(self, kind: str, value: int | str) -> str:
        return hmac.new(self._key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()

    def chat(self, chat_id: int) -> str:
        return self._mac("tg-chat", int(chat_id))

    def user(self, user_id: int) -> str:
        return self._mac("tg-user", int(user_id))

    def check_value(self) -> str:
        return hmac.new(self._key, _PSEUDONYM_CHECK, hashlib.sha256).hexdigest()

    def verify(self, check: str) -> bool:
        return hmac.compare_digest(self.check_value(), check)


def lock_key(subject: str) -> int:
    """A signed 64-bit number from a pseudonym, for pg_advisory_xact_lock."""
    return int.from_bytes(bytes.fromhex(subject[:16]), "big", signed=True)
