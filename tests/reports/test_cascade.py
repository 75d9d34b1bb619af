"""The training cascade: trainer → members → new trainers → their members, as a tree and a table."""

from __future__ import annotations

import csv
import io

from academy.extensions import db
from academy.services import reports
from academy.services.academies import academy_by_slug


def test_cascade_follows_trainers_down_the_line(build, make_user, client, login):
    ada = make_user(roles=("trainer",), name="Ada Origin")
    first = build.cohort(ada, name="First")
    ben = build.person("Ben Second")
    build.member(first, user=ben, completed=True, certified=True)
    build.member(first)
    build.member(first)
    build.promote(ben, ada, first)
    second = build.cohort(ben, name="Second")
    cat = build.person("Cat Third")
    build.member(second, user=cat, completed=True)
    build.member(second)
    build.promote(cat, ben, second)
    third = build.cohort(cat, name="Third")
    build.member(third)
    # Another academy's cascade stays out of the North West's.
    elsewhere = make_user(roles=("trainer",), academy="london", name="Lon Don")
    build.member(build.cohort(elsewhere, academy="london"))
    db.session.commit()

    [tree] = reports.cascade(reports.Scope(academy_by_slug("north-west")))
    assert (tree.name, tree.members_trained, tree.depth) == ("Ada Origin", 3, 0)
    [second_node] = tree.children
    assert (second_node.name, second_node.members_trained, second_node.depth) == (
        "Ben Second",
        2,
        1,
    )
    [third_node] = second_node.children
    assert (third_node.name, third_node.members_trained, third_node.children) == (
        "Cat Third",
        1,
        [],
    )
    assert tree.downstream_members == 6
    assert tree.downstream_trainers == 2

    assert reports.monthly(reports.Scope(academy_by_slug("north-west"))).rows[-1].values[4] == 2
    national = reports.cascade(reports.Scope(None))
    assert sorted(node.name for node in national) == ["Ada Origin", "Lon Don"]

    login(client, make_user(roles=("staff",)))
    page = client.get("/reports/north-west/cascade").get_data(as_text=True)
    assert "<svg" in page
    assert '<th scope="row">Ben Second</th>\n              <td>Ada Origin</td>' in page
    rows = list(
        csv.reader(
            io.StringIO(client.get("/reports/north-west/cascade.csv").get_data(as_text=True))
        )
    )
    assert rows[1:] == [
        ["Ada Origin", "", "1", "3", "1", "2", "6"],
        ["Ben Second", "Ada Origin", "2", "2", "1", "1", "3"],
        ["Cat Third", "Ben Second", "3", "1", "0", "0", "1"],
    ]
    [trainer_row] = [
        r
        for r in reports.by_trainer(reports.Scope(academy_by_slug("north-west"))).rows
        if r.label == "Ada Origin"
    ]
    assert trainer_row.values == [1, 3, 1, 1, 1]
