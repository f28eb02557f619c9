"""An action's outcome status: an enum that compares equal to, and is written as, its word."""

from __future__ import annotations

from bridge.services.cs_actions import Outcome, OutcomeStatus


def test_an_outcome_status_reads_as_its_word_in_redirects_the_cli_and_the_audit() -> None:
    """``done``/``unchanged``/``refused`` as before: equal to the text, formatted as the text."""
    assert [s.value for s in OutcomeStatus] == ["done", "unchanged", "refused"]
    refused = Outcome(OutcomeStatus.REFUSED, "not_found")
    assert refused.refused and not refused.done and refused.status == "refused"
    assert f"{refused.status}:{refused.code}" == "refused:not_found"  # the console's redirect
    assert f"{refused.status:<9}|" == "refused  |"  # the CLI's line
    assert type(refused.status.value) is str  # what the audit entry stores
