"""`/incidents/{id}/notes`: list (not paginated), add (From required; 201 as the live API), delete."""

from __future__ import annotations

from harness.sandbox import transitions
from harness.sandbox.api import Call, Reply, Route, invalid, lookup, not_found
from harness.sandbox.body import required_text, wrapped
from harness.sandbox.incidents import find_incident
from harness.sandbox.records import Note
from harness.sandbox.render import Json, local_stamp

MAX_NOTES = 2000
MAX_CONTENT = 25_000
NOTE_CHANNEL = "The PagerDuty website or APIs"


def list_notes(call: Call) -> Reply:
    """List an incident's notes, oldest first, without pagination."""
    with call.account.lock:
        incident = find_incident(call, call.args["id"])
        notes = [n for n in call.account.notes.values() if n.incident_id == incident.id]
        return Reply(200, {"notes": [render_note(call, n) for n in notes]})


def create_note(call: Call) -> Reply:
    """Add a note as the From user; the spec says 200, the live API answers 201."""
    content = required_text(wrapped(call, "note"), "content")
    if len(content) > MAX_CONTENT:
        raise invalid(f"Content is too long (maximum is {MAX_CONTENT} characters).")
    account = call.account
    with account.lock:
        incident = find_incident(call, call.args["id"])
        if sum(n.incident_id == incident.id for n in account.notes.values()) >= MAX_NOTES:
            raise invalid(f"An incident can have at most {MAX_NOTES} notes.")
        note = transitions.add_note(account, incident, user=call.acting_user(), content=content)
        return Reply(201, {"note": render_note(call, note)})


def delete_note(call: Call) -> Reply:
    """Delete one of an incident's notes; a note of another incident is not found."""
    account = call.account
    with account.lock:
        incident = find_incident(call, call.args["id"])
        note = lookup(account.notes, call.args["note_id"], "Note Not Found", 2100)
        if note.incident_id != incident.id:
            raise not_found("Note Not Found", 2100)
        del account.notes[note.id]
    return Reply(204, None)


def render_note(call: Call, note: Note) -> Json:
    """Render a note as the live API does: no updated_at, created_at in the account's offset."""
    return {
        "id": note.id,
        "user": call.refs.user(note.user_id),
        "channel": {"summary": NOTE_CHANNEL},
        "content": note.content,
        "created_at": local_stamp(call.account, note.created_at),
    }


ROUTES = (
    Route("/incidents/<id>/notes", "GET", list_notes),
    Route("/incidents/<id>/notes", "POST", create_note, from_header="required"),
    Route("/incidents/<id>/notes/<note_id>", "DELETE", delete_note),
)
