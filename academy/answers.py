"""How a short answer is compared with the accepted ones.

Shared by the curriculum reader (which checks that accepted answers differ) and
the question model (which marks), so it sits below both.
"""


def normalise_answer(text: str) -> str:
    """Case-insensitive, with whitespace collapsed: "  Report  BACK " == "report back"."""
    return " ".join(text.casefold().split())
