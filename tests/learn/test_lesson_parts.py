"""What a lesson page adds around its text (outcomes first, dated sources last, a folded
model answer after each task), the course glossary, and the pass mark stated in the terms
the marking uses."""

from __future__ import annotations

from academy.services import learning

RUNNING = "/courses/organising-basics/lessons/running-a-listening-campaign"
GLOSSARY = "/courses/organising-basics/glossary"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_lesson_opens_with_its_outcomes_and_ends_with_its_dated_sources(client, login, enrolled):
    login(client, enrolled)
    page = text(client.get(RUNNING))
    outcomes = page.index("By the end of this lesson you will be able to:")
    body = page.index("Plan the streets</h2>")
    summary = page.index("Summary</h2>")
    sources = page.index('<h2 id="sources">Sources</h2>')
    assert outcomes < body < summary < sources
    assert "<li>record what residents say in their words</li>" in page
    assert (
        '<a href="https://www.electoralcommission.org.uk/voting-and-elections/who-can-vote" '
        'rel="noopener noreferrer">Electoral Commission: the electoral register</a>, '
        "last checked 30 November 2026"
    ) in page
    # The "On this page" contents lead to the sources too.
    assert '<a href="#sources">Sources</a>' in page


def test_a_tasks_model_answer_is_folded_until_the_member_opens_it(client, login, enrolled):
    login(client, enrolled)
    page = text(client.get(RUNNING))
    assert (
        '<details class="admonition guidance">\n<summary>Guidance</summary>\n'
        "<p>A good plan mixes times of day and names who knocks where.</p>\n</details>"
    ) in page


def test_the_glossary_is_public_and_linked_from_the_course_and_its_lessons(client, login, enrolled):
    page = text(client.get(GLOSSARY))
    assert '<dt id="listening-campaign">Listening campaign</dt>' in page
    assert '<dt id="one-to-one">One-to-one</dt><dd><p>A planned conversation' in page
    assert "<em>their</em>" in page
    assert f'href="{GLOSSARY}"' in text(client.get("/courses/organising-basics"))
    login(client, enrolled)
    assert f'href="{GLOSSARY}"' in text(client.get(RUNNING))


def test_a_course_without_a_glossary_has_no_glossary_page_or_link(client):
    assert client.get("/courses/leading-campaigns/glossary").status_code == 404
    assert "/glossary" not in text(client.get("/courses/leading-campaigns"))
    assert client.get("/courses/no-such-course/glossary").status_code == 404


def test_the_course_page_states_each_pass_mark_as_right_answers_needed(client):
    page = text(client.get("/courses/organising-basics"))
    # Listening: 3 of a pool of 4, pass mark 60%: 60% of 3 is 1.8, so 2 right.
    assert "(3 questions, drawn from 4; pass with 2 of 3 right)" in page
    # Teams: 2 of 3 at the course's 70%: 1.4, so 2 right.
    assert "(2 questions, drawn from 3; pass with 2 of 2 right)" in page


def test_right_answers_needed_agree_with_the_marking(enrolled, basics):
    """The number the page states is exactly the smallest score the marking passes."""
    course = learning.course_tree(basics.id)
    for module in course.modules:
        quiz = module.quiz
        asked, needed = quiz.asked, quiz.to_pass
        assert needed * 100 >= quiz.pass_mark * asked
        assert (needed - 1) * 100 < quiz.pass_mark * asked
