"""The Markdown pipeline: the allowed output survives, anything that could run script does not."""

from __future__ import annotations

import pytest

from academy.content.render import render_inline, render_markdown, sanitise


def html_of(text: str) -> str:
    return render_markdown(text).html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">click</a>',
        "<div onmouseover=alert(1)>hover</div>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">click</a>',
        "![x](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<p style="background:url(javascript:alert(1))">styled</p>',
        '## Heading {: onclick="alert(1)" style="color:red" }',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        '<form action="https://evil.example"><input name="password"></form>',
        '<object data="x.swf"></object><embed src="x.swf">',
    ],
)
def test_nothing_that_can_run_script_survives(hostile):
    html = html_of(f"Before.\n\n{hostile}\n\nAfter.").lower()
    for needle in (
        "<script",
        "javascript:",
        "data:text",
        "onerror",
        "onclick",
        "onmouseover",
        "onload",
        "style=",
        "<style",
        "<iframe",
        "<svg",
        "<form",
        "<input",
        "<object",
        "<embed",
        "alert(1)</",
    ):
        assert needle not in html
    assert "before." in html
    assert "after." in html


def test_script_content_is_removed_not_shown():
    assert "alert" not in html_of("Hi <script>alert(1)</script> there")


def test_allowed_markdown_is_kept():
    html = html_of(
        "## Why *listen*\n\n"
        "Text with **bold**, a [link](https://example.org) and a note.[^1]\n\n"
        "| Habit | Sounds like |\n|:---|---:|\n| Ask | What? |\n\n"
        '!!! tip "Try this"\n    Count to three.\n\n'
        "### Step {#first-step}\n\n"
        "1. one\n2. two\n\n"
        "> a quote\n\n"
        "```\ncode <b>here</b>\n```\n\n"
        "[^1]: The note.\n"
    )
    assert '<h2 id="why-listen">Why <em>listen</em></h2>' in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1"' in html
    assert '<li id="fn:1">' in html
    assert '<th align="left">Habit</th>' in html
    assert '<td align="right">What?</td>' in html
    assert '<div class="admonition tip" role="note">' in html
    assert '<p class="admonition-title">Try this</p>' in html
    assert '<h3 id="first-step">Step</h3>' in html
    assert "<ol>" in html
    assert "<blockquote>" in html
    assert "<pre><code>code &lt;b&gt;here&lt;/b&gt;\n</code></pre>" in html


def test_tables_are_wrapped_in_a_focusable_scrolling_region():
    html = html_of("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert html.startswith(
        '<div aria-label="Table (scrolls sideways)" class="table-scroll" role="region" '
        'tabindex="0"><table>'
    )
    assert html.rstrip().endswith("</table></div>")


def test_table_of_contents():
    rendered = render_markdown("## One\n\n### One point five\n\n## Two\n\n#### Deep\n")
    assert rendered.toc == [
        {"id": "one", "name": "One", "level": 2},
        {"id": "one-point-five", "name": "One point five", "level": 3},
        {"id": "two", "name": "Two", "level": 2},
    ]


def test_links_and_images_go_through_the_resolver():
    seen = []

    def resolve(target: str, image: bool) -> str | None:
        seen.append((target, image))
        return None if target == "gone.md" else f"/site/{target}"

    rendered = render_markdown("[a](01-a.md#part) ![A map](images/map.png) [b](gone.md)", resolve)
    assert seen == [("01-a.md#part", False), ("images/map.png", True), ("gone.md", False)]
    assert '<a href="/site/01-a.md#part"' in rendered.html
    assert '<img alt="A map" loading="lazy" src="/site/images/map.png">' in rendered.html
    assert '<a rel="noopener noreferrer">b</a>' in rendered.html  # the broken link is removed
    assert rendered.unresolved == ("gone.md",)


def test_unknown_classes_and_attributes_are_dropped():
    html = html_of('## Title {: .btn .admonition data-x="1" #ok }\n\n!!! note\n    hi\n')
    assert html.startswith('<h2 id="ok">Title</h2>')
    assert 'class="admonition note"' in html


def test_inline_rendering_has_no_paragraph():
    assert render_inline("Tell **me** 'more'") == "Tell <strong>me</strong> \u2018more\u2019"
    assert render_inline("<script>x</script>Hi") == "Hi"


def test_sanitise_is_idempotent():
    html = html_of("## A\n\n| a |\n|---|\n| b |\n\nText[^1]\n\n[^1]: n\n")
    assert sanitise(html) == html
