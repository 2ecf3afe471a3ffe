"""Identity numbers, keyed pseudonyms, encryption, passwords, and the schema's migrations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accessplan.monitor.db import Database, head_revision
from accessplan.monitor.models import Base
from accessplan.monitor.security import (
    Keyring,
    MalformedIdError,
    MonitorKeyError,
    id_problem,
    id_problems,
    normalise_id,
)
from tests.monitor.conftest import FAST, KEY, id_number


def test_gb11643_example_number() -> None:
    """GB 11643-1999's own example, 11010519491231002X: the weighted sum of the body is
    1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 4*6 + 9*3 + 1*7 + 2*9 + 3*10 + 1*5 +
    0*8 + 0*4 + 2*2 = 167, 167 mod 11 = 2, and position 2 of "10X98765432" is X."""
    assert id_problem("11010519491231002X") is None
    assert id_problem("11010519491231002x") is None  # lower case accepted
    assert normalise_id(" 11010519491231002x ") == "11010519491231002X"
    assert "check digit" in str(id_problem("110105194912310021"))


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("1101051949123100", "17 digits"),  # too short
        ("11010519491231002Y", "17 digits"),  # not a digit or X at the end
        ("110105194913310025", "not a date"),  # month 13
        ("110105209901010021", "future"),  # born in 2099
    ],
)
def test_malformed_numbers(number: str, reason: str) -> None:
    """Each malformed number is refused for its own reason, and the reason never repeats it."""
    problem = id_problem(number, today=dt.date(2025, 6, 30))
    assert problem is not None and reason in problem and number[6:14] not in problem
    with pytest.raises(MalformedIdError):
        normalise_id(number)


def test_bulk_check_agrees_with_the_single_check() -> None:
    """The vectorised check used by imports gives the same verdict and reason as the single
    one on every case above, good and bad."""
    numbers = ["11010519491231002X", "11010519491231002x", "110105194912310021",
               "1101051949123100", "11010519491231002Y", "110105194913310025",
               "110105209901010021", ""]  # fmt: skip
    today = dt.date(2025, 6, 30)
    assert id_problems(numbers, today=today) == [id_problem(n, today=today) for n in numbers]


def test_bulk_pseudonyms_equal_single_ones() -> None:
    """Keyring.pseudonyms (one cached HMAC key) equals Keyring.pseudonym per number."""
    numbers = ["11010519491231002X", id_number(1), id_number(2)]
    assert KEY.pseudonyms(numbers) == [KEY.pseudonym(n) for n in numbers]


def test_pseudonym_is_keyed_and_stable() -> None:
    """The same number gives the same pseudonym under one key and another under a second
    key; case does not matter."""
    other = Keyring(bytes(range(1, 33)))
    number = "11010519491231002X"
    assert KEY.pseudonym(number) == KEY.pseudonym(number.lower())
    assert KEY.pseudonym(number) != other.pseudonym(number)
    assert len(KEY.pseudonym(number)) == 64 and number not in KEY.pseudonym(number)


def test_encryption_is_bound_to_its_purpose() -> None:
    """Ciphertext decrypts for its purpose only, and two encryptions of one phone differ."""
    blob = KEY.encrypt("13800000001", purpose="phone")
    assert KEY.decrypt(blob, purpose="phone") == "13800000001"
    assert blob != KEY.encrypt("13800000001", purpose="phone")
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        KEY.decrypt(blob, purpose="bank_account")


def test_key_file_round_trip_and_no_overwrite(tmp_path: Path) -> None:
    """A generated key file reads back as the same key, is private, and is never overwritten."""
    path = tmp_path / "monitor.key"
    made = Keyring.generate(path)
    assert Keyring.from_file(path).fingerprint == made.fingerprint
    assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(MonitorKeyError, match="never overwritten"):
        Keyring.generate(path)
    assert "secret" not in repr(made) and made.secret.hex() not in repr(made)


def test_wrong_key_is_refused(tmp_path: Path) -> None:
    """A database remembers its key's fingerprint and refuses another key."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    Database(url, keyring=KEY).upgrade()
    Database(url, keyring=KEY).keyring()
    with pytest.raises(MonitorKeyError, match="not this database's"):
        Database(url, keyring=Keyring(bytes(range(1, 33)))).keyring()


def test_passwords() -> None:
    """Argon2id hashes verify the right password only; short passwords are refused."""
    stored = FAST.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert FAST.verify(stored, "correct horse battery")
    assert not FAST.verify(stored, "wrong horse battery")
    assert not FAST.verify("not a hash", "correct horse battery")
    with pytest.raises(ValueError, match="8 characters"):
        FAST.hash("short")


def test_migrations_match_the_models(database_url: str) -> None:
    """The migrated schema (on SQLite and PostgreSQL) has exactly the models' tables and
    columns: Alembic finds nothing to add or drop."""
    database = Database(database_url)
    assert database.revision() == head_revision()
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    database.dispose()
    assert diff == []


@pytest.mark.parametrize(
    ("blocked", "module"),
    [("sqlalchemy", "accessplan.monitor.db"), ("fastapi", "accessplan.monitor.api"),
     ("argon2", "accessplan.monitor.security")],
)  # fmt: skip
def test_missing_extra_names_it(blocked: str, module: str) -> None:
    """Without the monitor extra's packages the import fails with a message naming the extra;
    the indicators import without them."""
    import subprocess
    import sys

    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "import accessplan.monitor.indicators\n"
        f"import {module}\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert child.returncode != 0
    assert "MissingExtraError" in child.stderr and "accessplan[monitor]" in child.stderr
