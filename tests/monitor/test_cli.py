"""`accessplan monitor`: a SQLite register from the command line, end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from accessplan.cli import app
from tests.monitor.conftest import AREAS, EAST, REGISTER, claim, write_csv

runner = CliRunner()


def monitor(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["monitor", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, " ".join(result.output.split())


def test_init_import_evaluate_and_export_a_notice(tmp_path: Path) -> None:
    """init -> import-register -> import-claims (twice: the second changes nothing) ->
    evaluate -> export-notice, with the notice free of identity numbers and phones; a wrong
    user and a bad date are refused with exit code 2."""
    db = str(tmp_path / "monitor.db")
    areas = tmp_path / "areas.csv"
    AREAS.to_csv(areas, index=False)
    key = tmp_path / "keys" / "monitor.key"
    key.parent.mkdir()
    code, text = monitor(
        "init", "--areas", str(areas), "--admin", "boss", "--county", "530102",
        "--db", db, "--new-key", str(key), "--password", "correct horse battery",
    )  # fmt: skip
    assert code == 0, text
    assert "8 areas added" in text
    register = write_csv(tmp_path / "register.csv", REGISTER)
    code, text = monitor(
        "import-register", str(register), "--user", "boss", "--db", db, "--key-file", str(key)
    )
    assert code == 0, text
    claims = write_csv(tmp_path / "claims.csv", [claim(1, 1, "2025-03-01", 30_000.0, 18_000.0)])
    args = ["import-claims", str(claims), "--user", "boss", "--db", db, "--key-file", str(key)]
    code, first = monitor(*args)
    assert code == 0, first
    code, second = monitor(*args)
    assert code == 0 and first != second  # the second import reports the file as known
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'province = "53"\nyear = 2025\nversion = 1\nreference_income = 16000\n'
        'monitoring_line = 7300\n[[rules]]\nkind = "oop_share"\nshare = 0.5\n',
        "utf-8",
    )
    code, text = monitor(
        "evaluate", "--user", "boss", "--db", db, "--rules", str(rules), "--as-of", "2025-06-30"
    )
    # 18,000 out of pocket within 12 months > 0.5 x 16,000: household E1 is warned
    assert code == 0 and "warnings" in text, text
    notice = tmp_path / "notice.csv"
    code, text = monitor(
        "export-notice", "--village", EAST, "--out", str(notice), "--user", "boss", "--db", db
    )
    assert code == 0, text
    written = notice.read_text("utf-8")
    for row in REGISTER:
        assert str(row["id_number"]) not in written
        assert not row["phone"] or str(row["phone"]) not in written
    assert isinstance(pd.read_csv(notice), pd.DataFrame)
    code, text = monitor("evaluate", "--user", "nobody", "--db", db)
    assert code == 2 and "nobody" in text
    code, text = monitor("evaluate", "--user", "boss", "--db", db, "--as-of", "30/06/2025")
    assert code == 2 and "--as-of" in text
