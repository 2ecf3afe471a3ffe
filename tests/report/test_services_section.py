"""The report's services part on the hand-made valley: every standard of the catalogue with
its share worked out on paper, names from the catalogue in English and Chinese."""

from __future__ import annotations

import pytest

from accessplan.analyses import ANALYSES
from accessplan.measures import AccessResults
from accessplan.report import translator
from accessplan.report.blocks import Part, Table


def parts(results: AccessResults, lang: str) -> dict[str, Part]:
    section = ANALYSES["access"].section(results, translator(lang))
    return {part.id: part for part in section.parts}


def test_summary_table_shares_worked_out_on_paper(valley_results: AccessResults) -> None:
    """Amont (1,200 people) sits at the clinic and Bordes (300) at the health centre: both meet
    "village clinic or higher within 15 minutes on foot"; Canillo (unknown, counted 0) is 2 km
    from the hospital (about 24 minutes at Tobler's 5 km/h on the flat) and Dalt (90) farther:
    1,500 of 1,590 people, 94.3 %. Only Bordes is within 30 minutes' walk of the school: 300,
    18.9 %. No middle school: 0.0 %. By car all reach the centre and the hospital."""
    (table,) = [b for b in parts(valley_results, "en")["services"].blocks if isinstance(b, Table)]
    assert table.headers[1:] == [
        "Health · Village clinic within 15 min, Walking",
        "Health · Township health centre within 30 min, Car",
        "Health · County hospital within 60 min, Car",
        "Education · Teaching point within 30 min, Walking",
        "Education · Middle school within 60 min, Car",
    ]
    (row,) = table.rows  # the valley has no administrative units: the whole region alone
    assert row[1:] == [
        ("94.3%", "1,500"), ("100.0%", "1,590"), ("100.0%", "1,590"), ("18.9%", "300"),
        ("0.0%", "0"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Health", "Settlements missing the standard: Village clinic within 15 min, "
                "Walking", "Everyone"]),
        ("zh", ["医疗卫生", "未达标准的居民点：村卫生室，步行15分钟内", "全体居民"]),
    ],
)  # fmt: skip
def test_a_part_per_service_in_both_languages(
    valley_results: AccessResults, lang: str, words: list[str]
) -> None:
    """Health and education each get a part whose text is in the page's language; the clinic
    standard lists Canillo (unknown people) and Dalt as missing it, most people first."""
    found = parts(valley_results, lang)
    assert {"service-health", "service-school"} <= set(found)
    health = found["service-health"]
    text = " ".join(
        [health.heading]
        + [getattr(b, "text", "") for b in health.blocks]
        + [h for b in health.blocks if isinstance(b, Table) for h in b.headers]
        + [c[0] for b in health.blocks if isinstance(b, Table) for r in b.rows for c in r]
    )
    for word in words:
        assert word in text, word
    gaps = [b for b in health.blocks if isinstance(b, Table)][1]
    assert [r[0][0] for r in gaps.rows] == ["Dalt", "Canillo"]
