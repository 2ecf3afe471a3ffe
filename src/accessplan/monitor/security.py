"""Pseudonymisation, encryption of contact details, identity numbers and passwords.

Identity numbers are never stored: a member is known by a keyed hash of the number,
HMAC-SHA256 under a secret key that lives outside the database (a key file, named by
``ACCESSPLAN_MONITOR_KEY_FILE`` or passed explicitly). Without the key the hashes cannot be
recomputed from a list of candidate numbers (a plain hash of an 18-digit number with a
birth date and a check digit could be brute-forced in hours). Phone numbers and bank
accounts, needed to reach and pay people, are encrypted with AES-256-GCM under a key derived
from the same secret; the database holds only ciphertext. The database records the key's
fingerprint (:attr:`Keyring.fingerprint`), so a wrong key is refused instead of silently
hashing everyone to new pseudonyms.

Identity numbers follow GB 11643-1999: 6-digit address code, 8-digit birth date, 3-digit
sequence, and a check character computed by ISO 7064 MOD 11-2 (weights :math:`2^{17-i}
\\bmod 11` = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; check = ``"10X98765432"[sum mod 11]``).

Passwords are hashed with Argon2id (argon2-cffi); API tokens are random and stored as
SHA-256 hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from accessplan._errors import InputError, require

require("cryptography", "monitor")
require("argon2", "monitor")

from argon2 import PasswordHasher  # noqa: E402
from argon2.exceptions import InvalidHashError, VerificationError  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

#: Environment variable naming the key file.
KEY_ENV = "ACCESSPLAN_MONITOR_KEY_FILE"
#: ISO 7064 MOD 11-2 weights of the 17 body digits, and the check character per remainder.
ID_WEIGHTS: tuple[int, ...] = tuple(2 ** (17 - i) % 11 for i in range(17))
ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"\d{17}[\dX]")
_NONCE_BYTES = 12


class MalformedIdError(InputError):
    """An identity number is not a valid 18-character GB 11643-1999 number."""


class MonitorKeyError(InputError):
    """The pseudonymisation key is missing, malformed or not the database's."""


def id_check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a 17-digit body."""
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_problem(value: str, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` is not a valid identity number, or ``None`` when it is.

    Checks the form (17 digits and a digit or ``X``), the birth date (a real date, not in the
    future, not before 1900) and the check character. Lower-case ``x`` is accepted. The reason
    never repeats the number or its digits: it goes into import reports and logs.
    """
    text = value.strip().upper()
    if not _ID_PATTERN.fullmatch(text):
        return "an identity number has 17 digits and a check digit or X"
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return "the birth date inside the identity number is not a date"
    if born.year < 1900 or born > (today or dt.date.today()):
        return "the birth date inside the identity number is before 1900 or in the future"
    if id_check_character(text[:17]) != text[17]:
        return "the identity number's check digit is wrong (ISO 7064 MOD 11-2)"
    return None


def id_problems(values: Iterable[str], *, today: dt.date | None = None) -> list[str | None]:
    """:func:`id_problem` of many numbers at once, vectorised (the same checks, the same
    reasons): for bulk imports of hundreds of thousands of numbers."""
    text = pd.Series(list(values), dtype=object).astype(str).str.strip().str.upper()
    reasons = np.full(len(text), None, dtype=object)
    form = text.str.fullmatch(r"\d{17}[\dX]").to_numpy(dtype=bool)
    reasons[~form] = "an identity number has 17 digits and a check digit or X"
    if not form.any():
        return list(reasons)
    good = text[form]
    born = pd.to_datetime(good.str[6:14], format="%Y%m%d", errors="coerce")
    no_date = born.isna().to_numpy()
    limit = pd.Timestamp(today or dt.date.today())
    impossible = ~no_date & ((born.dt.year < 1900) | (born > limit)).to_numpy(dtype=bool)
    body = np.frombuffer("".join(good.str[:17]).encode("ascii"), dtype=np.uint8)
    digits = body.reshape(len(good), 17).astype(np.int64) - ord("0")
    expected = np.array(list(ID_CHECK))[(digits @ np.array(ID_WEIGHTS)) % 11]
    wrong = expected != good.str[17].to_numpy(dtype=str)
    sub = np.full(len(good), None, dtype=object)
    sub[wrong] = "the identity number's check digit is wrong (ISO 7064 MOD 11-2)"
    sub[impossible] = "the birth date inside the identity number is before 1900 or in the future"
    sub[no_date] = "the birth date inside the identity number is not a date"
    reasons[form] = sub
    return list(reasons)


def normalise_id(value: str) -> str:
    """``value`` stripped and upper-cased, or :class:`MalformedIdError` saying why not."""
    problem = id_problem(value)
    if problem:
        raise MalformedIdError(f"{problem}; check the number.")
    return value.strip().upper()


@dataclass(frozen=True, repr=False)
class Keyring:
    """The secret that pseudonymises identity numbers and encrypts contact details.

    Build it with :meth:`from_file` (or :meth:`from_env`); make a new key file with
    :meth:`generate`. The secret is never written to the database or the logs.
    """

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            msg = f"a monitor key needs at least 32 bytes, got {len(self.secret)}."
            raise MonitorKeyError(msg)

    def __repr__(self) -> str:
        return f"Keyring(fingerprint={self.fingerprint!r})"

    def _subkey(self, label: str) -> bytes:
        return hmac.new(self.secret, label.encode(), hashlib.sha256).digest()

    @property
    def fingerprint(self) -> str:
        """A short public digest of the key, stored in the database to recognise it."""
        return self._subkey("accessplan.monitor fingerprint").hex()[:16]

    def pseudonym(self, id_number: str) -> str:
        """HMAC-SHA256 of the normalised identity number (hex): the member's pseudonym."""
        body = normalise_id(id_number).encode()
        return hmac.new(self._subkey("accessplan.monitor id"), body, hashlib.sha256).hexdigest()

    def pseudonyms(self, normalised: Iterable[str]) -> list[str]:
        """:meth:`pseudonym` of many numbers already checked and normalised (bulk imports)."""
        base = hmac.new(self._subkey("accessplan.monitor id"), digestmod=hashlib.sha256)
        out = []
        for number in normalised:
            mac = base.copy()
            mac.update(number.encode())
            out.append(mac.hexdigest())
        return out

    def encrypt(self, text: str, *, purpose: str) -> bytes:
        """AES-256-GCM ciphertext of ``text`` (nonce first); ``purpose`` binds it to its
        column (``"phone"``, ``"bank_account"``) so it cannot be moved to another."""
        nonce = os.urandom(_NONCE_BYTES)
        cipher = AESGCM(self._subkey("accessplan.monitor encrypt"))
        return nonce + cipher.encrypt(nonce, text.encode(), purpose.encode())

    def decrypt(self, blob: bytes, *, purpose: str) -> str:
        """The text :meth:`encrypt` encrypted for ``purpose``."""
        cipher = AESGCM(self._subkey("accessplan.monitor encrypt"))
        nonce, body = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        return cipher.decrypt(nonce, body, purpose.encode()).decode()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Keyring:
        """Read a key file (64 hex characters, as :meth:`generate` writes)."""
        file = Path(path)
        if not file.is_file():
            msg = (
                f"monitor key file {str(file)!r} not found; make one with "
                "`Keyring.generate(path)` and keep it outside the database and its backups."
            )
            raise MonitorKeyError(msg)
        text = file.read_text("ascii").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            raise MonitorKeyError(
                f"monitor key file {str(file)!r} must hold hex characters."
            ) from None
        return cls(secret)

    @classmethod
    def from_env(cls) -> Keyring:
        """The key file named by ``ACCESSPLAN_MONITOR_KEY_FILE``."""
        path = os.environ.get(KEY_ENV)
        if not path:
            msg = f"no monitor key: set {KEY_ENV} to the key file or pass --key-file."
            raise MonitorKeyError(msg)
        return cls.from_file(path)

    @classmethod
    def generate(cls, path: str | os.PathLike[str]) -> Keyring:
        """Write a new random key to ``path`` (readable by its owner only) and return it;
        an existing file is never overwritten (losing a key loses every pseudonym)."""
        file = Path(path)
        secret = secrets.token_bytes(32)
        try:
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            msg = f"{str(file)!r} exists; a key file is never overwritten. Choose another path."
            raise MonitorKeyError(msg) from None
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret.hex() + "\n")
        return cls(secret)


@dataclass(frozen=True)
class Passwords:
    """Argon2id password hashing; the defaults are argon2-cffi's (RFC 9106 low-memory)."""

    time_cost: int = 3
    memory_cost: int = 65_536
    parallelism: int = 4

    def _hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_cost, parallelism=self.parallelism
        )

    def hash(self, password: str) -> str:
        """The Argon2id hash of ``password`` (at least 8 characters)."""
        if len(password) < 8:
            raise InputError("a password needs at least 8 characters.")
        return self._hasher().hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """Whether ``password`` matches the ``stored`` hash."""
        try:
            return bool(self._hasher().verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> tuple[str, str]:
    """A random API token and its SHA-256 (the only thing stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """SHA-256 (hex) of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()
