"""Issue 14 item 9: personal data is masked by what it looks like, wherever it was typed, and the
person-key secret is a real one that never reaches dbt."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat

import pytest

from expectations.quality_report import write_quality_report
from expectations.runner import mask_text, run_checks
from ingest import landing, pii
from tests.conftest import write_feed_file
from tests.dbt_fixtures import make_warehouse, query, run_dbt

VALID_ID = "11010519491231002X"  # a valid resident ID number (its USCC check character fails: a warn)
TALENTS = f"""鹿城区2024年6月服务业紧缺领军人才清单
姓名,公民身份号码,手机号码,人才类别,认定时间,工作单位统一社会信用代码
张三,{VALID_ID},13812345678,服务业领军人才,2023-05,{VALID_ID}
李四,330302198506150017,13900001111,高技能人才,2023-06,91330302MA2AAAAA0X
"""


def test_a_secret_is_generated_once_per_installation_with_mode_0600(home, monkeypatch):
    monkeypatch.delenv(pii.SECRET_ENV, raising=False)
    first = pii.secret()
    path = home / "pii_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and first != b"svcmon-demo-secret"
    assert pii.secret() == first  # read from then on
    monkeypatch.setenv(pii.SECRET_ENV, "given-in-the-environment")
    assert pii.secret() == b"given-in-the-environment"


@pytest.mark.parametrize(("value", "masked"), [
    (VALID_ID, "1101************2X"),
    (f"代码{VALID_ID}有误", "代码1101************2X有误"),
    ("13812345678", "1381*****78"),
    ("电话 138-1234-5678", "电话 138-*******78"),
    (13812345678.0, "1381*****78"),
    ("91330302MA2AAAAA0X", "91330302MA2AAAAA0X"),  # a USCC is not personal
    (2024.0, 2024.0),
    ("服务业领军人才", "服务业领军人才"),
])
def test_values_that_look_personal_are_masked_in_any_column(value, masked):
    assert mask_text(value) == masked


def test_names_of_the_personal_columns_are_masked_where_else_they_appear():
    assert mask_text("张三的工作单位", frozenset({"张三"})) == "张*的工作单位"


def test_a_name_inside_a_longer_one_is_masked_with_it_among_many_names():
    # Worked by hand: 欧阳张三 (the longest) first → 欧***, and the 张三 inside it goes with it;
    # 王五六 → 王**, the other 张三 → 张*, 李四 → 李*. Eight thousand other names share the
    # surnames and change nothing.
    others = {f"{surname}{chr(0x4E00 + i)}{chr(0x4E80 + i)}" for surname in "张李王赵" for i in range(2000)}
    names = frozenset({"张三", "欧阳张三", "李四", "王五六", *others})
    assert mask_text("欧阳张三与李四、王五六同组，张三另有", names) == "欧***与李*、王**同组，张*另有"


def test_an_id_number_typed_as_an_employer_code_never_leaves_raw_whole(home):
    write_feed_file(home / "inbox", "talent_registry", "人才清单2024年6月.csv", TALENTS)
    con = landing.connect()
    try:
        [landed] = landing.land_inbox(con, home / "inbox")
        assert landed.status == "accepted", landed.reason
        results = run_checks(con, ["2024-06"])
        employer = next(r for r in results if r.check_id.endswith("employer_uscc") and r.status == "failed")
        assert employer.severity == "warn"
        samples = json.loads(employer.sample_rows)
        assert [s["employer_uscc"] for s in samples] == ["1101************2X", "91330302MA2AAAAA0X"]
        stored = " ".join(r[0] for r in con.execute("SELECT sample_rows FROM quality.check_results").fetchall())
        html = write_quality_report(con, "2024-06", home / "reports").read_text(encoding="utf-8")
    finally:
        con.close()
    for text in (stored, html):
        assert VALID_ID not in text and "13812345678" not in text and "张三" not in text


def test_the_secret_never_reaches_dbt_target_or_logs(tmp_path, monkeypatch):
    secret = "a-distinctive-installation-secret-7f3a9c"
    monkeypatch.setenv(pii.SECRET_ENV, secret)
    db = make_warehouse(tmp_path)
    path = write_feed_file(tmp_path / "inbox", "talent_registry", "人才清单2024年6月.csv", TALENTS)
    con = landing.connect(db)
    try:
        assert landing.land_file(con, path, "talent_registry", archive_root=tmp_path / "archive",
                                 inbox=tmp_path / "inbox").status == "accepted"
    finally:
        con.close()
    run_dbt(db, "build", "--select", "+fct_talent", "--resource-type", "seed", "--resource-type", "model")
    keys = sorted(r["person_key"] for r in query(
        db, "select person_key from staging.stg_talent_registry__talents"))
    expected = sorted(hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()
                      for number in (VALID_ID, "330302198506150017"))
    assert keys == expected
    work = tmp_path / f"{db.stem}_dbt"
    written = [p for p in work.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sql" for p in written) and any("log" in p.name for p in written)
    assert not [p for p in written if secret.encode() in p.read_bytes()]
