import numpy as np
import pandas as pd

from orchestration.portal.simulator import structure as st


def _units():
    return st.build_structure(766)


def test_province_counts_around_merger():
    u = _units()
    prov = u[u["type"] == "PROVINCE"]
    assert st.in_force(prov, "2025-06-30", "2025-06-30").sum() == 63
    assert st.in_force(prov, "2025-07-01", "2025-07-01").sum() == 34
    continuing = prov[prov["valid_to"].isna() & (prov["valid_from"] == np.datetime64("2022-01-01"))]
    assert len(continuing) == 11
    assert set(continuing["code"].str[-3:].str[0]) == {"H"}


def test_successor_links():
    u = _units()
    codes = set(u["code"])
    ended = u[u["valid_to"].notna()]
    assert ended["successor"].notna().all()
    assert set(ended["successor"]) <= codes
    by = u.set_index("code")
    # an old province passes to a K province that starts the day after
    hg = by.loc["000.00.00.H02"]  # Hà Giang -> Tuyên Quang (merged)
    assert hg["successor"] == "000.00.00.K08"
    assert by.loc["000.00.00.K08", "valid_from"] == np.datetime64("2025-07-01")
    # departments pass to the same department of the successor
    assert by.loc["000.00.11.H02", "successor"] == "000.00.11.K08"
    # communes pass to the 2025 commune with the same statistics code
    old_c = u[(u["type"] == "COMMUNE_PEOPLE_COMMITTEE") & u["valid_to"].notna()]
    assert (by.loc[old_c["successor"], "mhc"].to_numpy() == old_c["mhc"].to_numpy()).all()


def test_communes_and_districts():
    u = _units()
    c = u[u["type"] == "COMMUNE_PEOPLE_COMMITTEE"]
    assert len(c) == 2 * 3321
    new = c[c["valid_from"] == np.datetime64("2025-07-01")]
    old = c[c["valid_to"] == np.datetime64("2025-06-30")]
    assert len(new) == len(old) == 3321
    by = u.set_index("code")
    assert (by.loc[old["parent"], "type"] == "DISTRICT_PEOPLE_COMMITTEE").all()
    assert (by.loc[new["parent"], "type"] == "PROVINCE").all()
    assert c["mhc"].str.len().eq(5).all()
    assert c["cert"].isin([0, 1]).all()
    d = u[u["type"] == "DISTRICT_PEOPLE_COMMITTEE"]
    assert (d["valid_to"] == np.datetime64("2025-06-30")).all()
    assert not st.in_force(d, "2025-07-01", "2025-07-31").any()


def test_every_ministry():
    u = _units()
    ref = pd.read_csv(st.REFERENCE / "ministries.csv", dtype=str, keep_default_na=False)
    mins = u[u["type"] == "MINISTRY"]
    assert len(mins) == len(ref)
    assert set(mins["name"]) == set(ref["name"])
    assert mins["code"].is_unique
    for _, m in ref.iterrows():
        row = mins[mins["name"] == m["name"]].iloc[0]
        if m["edoc_code"]:
            assert row["code"] == f"000.00.00.{m['edoc_code']}"
        if m["merged_into"]:
            succ = ref.loc[ref["short_code"] == m["merged_into"], "name"].iloc[0]
            assert mins.set_index("code").loc[row["successor"], "name"] == succ
    mu = u[u["type"] == "MINISTRY_UNIT"]
    assert (mu.groupby("parent").size() == 4).all()


def test_codes_unique_and_shaped():
    u = _units()
    assert u["code"].is_unique
    assert u["code"].str.len().eq(13).all()
    assert u["code"].str.match(r"^\d{3}\.\d{2}\.\d{2}\.[HKG]\d{2}$").all()
    share_null = u["id_danh_gia"].isna().mean()
    assert 0.01 < share_null < 0.05
    assert u.loc[u["type"].isin(["PROVINCE", "MINISTRY"]), "id_danh_gia"].notna().all()


def test_quality_in_range_and_tet_dip():
    u = _units()
    q_jan = st.quality_at(u, 2025, 1)  # Tết 2025 month
    q_mar = st.quality_at(u, 2025, 3)
    assert ((q_jan >= 0) & (q_jan <= 1)).all()
    assert q_jan.mean() < q_mar.mean()
