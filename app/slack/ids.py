"""Names Slack sends back to us: the slash command, the modal's callback id, its block and action ids.

Slack echoes these ids in every submission, and field errors are keyed by the input block's id, so they
are defined once here and used by both the modal builder and the listeners.
"""

from __future__ import annotations

COMMAND = "/create-case"
CASE_MODAL = "docket_create_case"

TITLE_BLOCK = "case_title"
TITLE_ACTION = "case_title_input"
DETAILS_BLOCK = "case_details"
DETAILS_ACTION = "case_details_input"
DUE_DATE_BLOCK = "case_due_date"
DUE_DATE_ACTION = "case_due_date_picker"
FILES_BLOCK = "case_files"
FILES_ACTION = "case_files_input"

# The case service names refused fields (app.rules); this is the modal block that shows each one.
BLOCK_FOR_FIELD = {
    "title": TITLE_BLOCK,
    "details": DETAILS_BLOCK,
    "due_date": DUE_DATE_BLOCK,
    "files": FILES_BLOCK,
}
