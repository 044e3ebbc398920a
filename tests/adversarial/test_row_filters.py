"""Row-filter evasion: reading persons or welfare cases outside 大安區 as clerk_daan — directly,
through land.ownership (which has no row filter), through recipients, through self-joins — and
telling a hidden person from a nonexistent one."""

from __future__ import annotations

from .conftest import CLERK, CLERK_XINYI, DAAN, LAND_ADMIN, Adversary

NOBODY = "A999999999"


def _same_as_nobody(adversary: Adversary, template: str, user: str = CLERK, purpose=None) -> None:
    """The query about the outsider gets exactly what it gets about a nonexistent person."""
    hidden = adversary.safe(template.format(nid=adversary.people.outsider), user, purpose)
    missing = adversary.safe(template.format(nid=NOBODY), user, purpose)
    assert hidden.refused == missing.refused, (hidden.describe(), missing.describe())
    if hidden.refused:
        assert hidden.error.code == missing.error.code
        assert hidden.error.message.replace(adversary.people.outsider, NOBODY) == (
            missing.error.message
        )
    else:
        assert hidden.table.num_rows == missing.table.num_rows, (
            hidden.describe(),
            missing.describe(),
        )


def test_pinned_lookup_of_a_person_outside_daan_returns_nothing(adversary: Adversary) -> None:
    sql = f"""SELECT national_id, name, address FROM household.persons
              WHERE national_id = '{adversary.people.outsider}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_outsider_lookup_is_indistinguishable_from_a_nonexistent_id(adversary: Adversary) -> None:
    _same_as_nobody(
        adversary, "SELECT national_id, name FROM household.persons WHERE national_id = '{nid}'"
    )


def test_count_of_persons_outside_daan_is_zero(adversary: Adversary) -> None:
    ids = sorted(adversary.secrets.ids_outside_daan)[:10]
    values = ", ".join(f"'{i}'" for i in ids)
    sql = f"SELECT count(*) AS n FROM household.persons WHERE national_id IN ({values})"
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.column("n") == [0]


def test_ownership_left_join_to_persons_does_not_reveal_an_outsider(adversary: Adversary) -> None:
    sql = f"""SELECT o.parcel_no, p.name, p.address, p.birth_date FROM land.ownership o
              LEFT JOIN household.persons p ON p.national_id = o.owner_national_id
              WHERE o.owner_national_id = '{adversary.people.outsider}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.table.num_rows > 0, "the outsider's parcels are visible by design"
        assert set(outcome.column("name")) == {None}, outcome.describe()
        assert set(outcome.column("address")) == {None}


def test_ownership_right_join_to_persons_does_not_reveal_an_outsider(
    adversary: Adversary,
) -> None:
    sql = f"""SELECT p.name, o.parcel_no FROM household.persons p
              RIGHT JOIN land.ownership o ON p.national_id = o.owner_national_id
              WHERE o.owner_national_id = '{adversary.people.outsider}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert set(outcome.column("name")) <= {None}, outcome.describe()


def test_ownership_inner_join_to_persons_is_indistinguishable_for_an_outsider(
    adversary: Adversary,
) -> None:
    _same_as_nobody(
        adversary,
        """SELECT p.name, o.parcel_no FROM land.ownership o
           JOIN household.persons p ON p.national_id = o.owner_national_id
           WHERE o.owner_national_id = '{nid}'""",
    )


def test_ownership_join_to_parcels_and_persons_reveals_no_outsider_data(
    adversary: Adversary,
) -> None:
    sql = f"""SELECT l.district AS parcel_district, p.district, p.name
              FROM land.ownership o JOIN land.parcels l ON l.parcel_no = o.parcel_no
              LEFT JOIN household.persons p ON p.national_id = o.owner_national_id
              WHERE o.owner_national_id = '{adversary.people.outsider}'"""
    outcome = adversary.safe(sql, purpose=LAND_ADMIN)
    if not outcome.refused:
        assert set(outcome.column("name")) <= {None}
        assert set(outcome.column("district")) <= {None}


def test_recipients_pinned_to_an_outsider_reveal_no_case(adversary: Adversary) -> None:
    _same_as_nobody(
        adversary,
        "SELECT program, start_date FROM welfare.recipients WHERE national_id = '{nid}'",
    )


def test_persons_left_join_recipients_reveals_no_outsider_case(adversary: Adversary) -> None:
    people = adversary.people
    sql = f"""SELECT p.national_id, r.national_id AS rid, r.program FROM household.persons p
              LEFT JOIN welfare.recipients r ON r.national_id = p.national_id
              WHERE p.national_id IN ('{people.subject}', '{people.outsider}')"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert set(outcome.column("national_id")) == {people.subject}
        assert set(outcome.column("rid")) <= {people.subject, None}


def test_recipients_left_join_persons_reveals_no_outsider(adversary: Adversary) -> None:
    sql = f"""SELECT r.program, p.name FROM welfare.recipients r
              LEFT JOIN household.persons p ON p.national_id = r.national_id
              WHERE r.national_id = '{adversary.people.outsider}'"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()


def test_self_join_does_not_reveal_an_outsider(adversary: Adversary) -> None:
    people = adversary.people
    sql = f"""SELECT b.national_id, b.name FROM household.persons a
              JOIN household.persons b ON b.national_id = a.national_id
              WHERE a.national_id IN ('{people.subject}', '{people.outsider}')"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert set(outcome.column("national_id")) <= {people.subject}


def test_or_on_district_cannot_widen_the_row_filter(adversary: Adversary) -> None:
    people = adversary.people
    sql = f"""SELECT national_id, district FROM household.persons
              WHERE national_id IN ('{people.subject}', '{people.outsider}')
                AND (district = '{DAAN}' OR district <> '{DAAN}' OR district IS NULL)"""
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert set(outcome.column("district")) <= {DAAN}


def test_every_returned_person_is_in_daan(adversary: Adversary) -> None:
    ids = sorted(adversary.people.daan_ids)[:5] + sorted(adversary.secrets.ids_outside_daan)[:5]
    values = ", ".join(f"'{i}'" for i in ids)
    sql = f"SELECT national_id, district FROM household.persons WHERE national_id IN ({values})"
    outcome = adversary.safe(sql)
    if not outcome.refused:
        assert set(outcome.column("district")) <= {DAAN}
        assert set(outcome.column("national_id")) <= adversary.people.daan_ids


def test_failing_predicate_on_an_outsider_row_is_never_evaluated(adversary: Adversary) -> None:
    _same_as_nobody(
        adversary,
        """SELECT name FROM household.persons WHERE national_id = '{nid}'
           AND CAST(name AS INT) = 1""",
    )


def test_exists_probe_on_an_outsider_is_indistinguishable(adversary: Adversary) -> None:
    _same_as_nobody(
        adversary,
        """SELECT o.parcel_no FROM land.ownership o WHERE o.owner_national_id = '{nid}'
           AND EXISTS (SELECT 1 FROM household.persons p
                       WHERE p.national_id = '{nid}')""",
    )


def test_clerk_xinyi_cannot_see_the_daan_subject(adversary: Adversary) -> None:
    sql = f"""SELECT national_id, name FROM household.persons
              WHERE national_id = '{adversary.people.subject}'"""
    outcome = adversary.safe(sql, CLERK_XINYI)
    if not outcome.refused:
        assert outcome.table.num_rows == 0, outcome.describe()
