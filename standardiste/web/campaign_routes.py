"""The campaign routes (SV-7, SV-10, AG-4, CD-1..CD-6, CF-4) and the do-not-call lists, in the
one registry (:mod:`web.routes`): each names the permission it needs; the campaign's queue
then decides (a supervisor of that queue, an admin)."""

from __future__ import annotations

from standardiste.web import campaign_api as api
from standardiste.web import contact_api as contacts
from standardiste.web.campaign_schemas import (
    AssignMissed,
    AssignReport,
    CampaignCreate,
    CampaignOut,
    Campaigns,
    CampaignSettingsIn,
    ContactIn,
    ContactOut,
    Contacts,
    ContactsQuery,
    DncAdd,
    DncAdded,
    DncImport,
    DncNumbers,
    DncQuery,
    ImportOut,
    ImportUpload,
    MissedCalls,
    MissedQuery,
    Paused,
    PreviewAction,
    PreviewDone,
)
from standardiste.web.endpoint import Reply, Route

C = "/api/v1/campaigns"
ONE = f"{C}/{{name}}"
_SCOPE = (
    "A supervisor of the campaign's queue or an admin: another campaign, or one that does "
    "not exist, is a 403 for a supervisor (404 for an admin)."
)
CSV_TYPES = (
    "text/csv",
    "text/plain",
    "application/csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
    "multipart/form-data",
)
_FILE = (
    "The body is the file itself (CSV: UTF-8 with or without BOM, ; or , between fields, at "
    "most 8 MB and 50,000 rows), or a multipart form holding it (then send the X-CSRF-Token "
    "header). What is wrong with the file as a whole (not UTF-8, no number column, too many "
    "rows) is a 400 naming the line."
)
_COLUMNS = (
    " Columns: a header line names them in English or French (name / nom, number / "
    "téléphone / numéro, timezone / fuseau), else they are number / name, number / name, "
    "number, timezone."
)

CAMPAIGN_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        C,
        "campaigns",
        api.list_campaigns,
        "The campaigns of the queues you supervise, with their cards (SV-7)",
        auth="session",
        permission="campaigns.view",
        replies=(Reply(200, "the campaigns", Campaigns),),
    ),
    Route(
        "POST",
        C,
        "campaign_create",
        api.create_campaign,
        "Create a campaign (CF-4)",
        auth="csrf",
        permission="campaigns.manage",
        description="Its queue must exist (its agents are the campaign's); every setting left "
        "out takes its default. Each wrong value is a 400 naming the setting.",
        body=CampaignCreate,
        body_required=True,
        replies=(Reply(201, "created", CampaignOut),),
        errors=(409,),
    ),
    Route(
        "GET",
        ONE,
        "campaign",
        api.get_campaign,
        "One campaign: its settings and card (CD-1..CD-4)",
        auth="session",
        permission="campaigns.view",
        description=_SCOPE,
        replies=(Reply(200, "the campaign", CampaignOut),),
        errors=(404,),
    ),
    Route(
        "PUT",
        ONE,
        "campaign_update",
        api.update_campaign,
        "Change a campaign's settings (CF-4): all of them, those left out take their default",
        auth="csrf",
        permission="campaigns.manage",
        description=_SCOPE + " The dialer reads the new settings at its next tick.",
        body=CampaignSettingsIn,
        body_required=True,
        replies=(Reply(200, "changed", CampaignOut),),
        errors=(404,),
    ),
    Route(
        "DELETE",
        ONE,
        "campaign_delete",
        api.delete_campaign,
        "Delete a campaign (archived: its history stays)",
        auth="csrf",
        permission="campaigns.manage",
        description=_SCOPE,
        replies=(Reply(204, "deleted"),),
        errors=(404,),
    ),
    Route(
        "POST",
        f"{ONE}/pause",
        "campaign_pause",
        api.pause_campaign,
        "Pause a campaign (CD-1): the dialer starts no new call",
        auth="csrf",
        permission="campaigns.control",
        description=_SCOPE + " Audited.",
        replies=(Reply(200, "paused", Paused),),
        errors=(404,),
    ),
    Route(
        "POST",
        f"{ONE}/resume",
        "campaign_resume",
        api.resume_campaign,
        "Resume a paused campaign (CD-1)",
        auth="csrf",
        permission="campaigns.control",
        description=_SCOPE + " Audited.",
        replies=(Reply(200, "resumed", Paused),),
        errors=(404,),
    ),
    Route(
        "GET",
        f"{ONE}/contacts",
        "campaign_contacts",
        contacts.list_contacts,
        "A campaign's contacts, by status, a page at a time (CD-5)",
        auth="session",
        permission="campaigns.view",
        description=_SCOPE,
        query=ContactsQuery,
        replies=(Reply(200, "the contacts, oldest first", Contacts),),
        errors=(404,),
    ),
    Route(
        "POST",
        f"{ONE}/contacts",
        "campaign_contact_add",
        contacts.add_contact,
        "Add one contact to a campaign (CD-5)",
        auth="csrf",
        permission="campaigns.control",
        description=_SCOPE + " The number is normalised in the campaign's region; one already "
        "pending in the campaign, or on a do-not-call list: 409 saying which.",
        body=ContactIn,
        body_required=True,
        replies=(Reply(201, "added", ContactOut),),
        errors=(404, 409),
    ),
    Route(
        "DELETE",
        f"{ONE}/contacts/{{contact_id}}",
        "campaign_contact_remove",
        contacts.remove_contact,
        "Take a pending contact off a campaign",
        auth="csrf",
        permission="campaigns.control",
        description=_SCOPE + " A contact being dialled, done or gone: 409.",
        replies=(Reply(204, "removed"),),
        errors=(400, 404, 409),
    ),
    Route(
        "POST",
        f"{ONE}/imports",
        "campaign_import",
        contacts.upload_import,
        "Import contacts from a CSV file (CD-5): checked, then imported in the background",
        auth="csrf",
        permission="campaigns.control",
        description=_SCOPE + " " + _FILE + _COLUMNS + " Then every row is checked (progress: "
        "GET the import), and the valid rows are added in one transaction with the report: every "
        "rejected row with its line, column and reason (not a number, a duplicate in the "
        "file, on a do-not-call list, already pending in the campaign). A failure leaves "
        "nothing imported and says so.",
        query=ImportUpload,
        raw_body=CSV_TYPES,
        replies=(Reply(202, "accepted: the import, running", ImportOut),),
        errors=(404,),
    ),
    Route(
        "GET",
        f"{ONE}/imports/{{import_id}}",
        "campaign_import_status",
        contacts.get_import,
        "A CSV import's progress, then its report",
        auth="session",
        permission="campaigns.view",
        description=_SCOPE,
        replies=(Reply(200, "the import", ImportOut),),
        errors=(404,),
    ),
    Route(
        "POST",
        f"{ONE}/dial",
        "campaign_preview_dial",
        api.preview_dial,
        "Call the contact a preview offers you (AG-4)",
        auth="csrf",
        permission="workspace.use",
        description="The dial (live entity dial, state preview) must be offered to you. The "
        "bridge's dialer dials it: no answer in time: 504; gone meanwhile: 409 call_gone.",
        body=PreviewAction,
        body_required=True,
        replies=(Reply(200, "dialling", PreviewDone),),
        errors=(409, 503, 504),
    ),
    Route(
        "POST",
        f"{ONE}/skip",
        "campaign_preview_skip",
        api.preview_skip,
        "Skip the contact a preview offers you (AG-4): it stays pending",
        auth="csrf",
        permission="workspace.use",
        description="As the call: the dial must be offered to you.",
        body=PreviewAction,
        body_required=True,
        replies=(Reply(200, "skipped", PreviewDone),),
        errors=(409, 503, 504),
    ),
    Route(
        "GET",
        "/api/v1/missed-calls",
        "missed_calls",
        contacts.list_missed,
        "Abandoned and timed-out callers of your queues, sortable (SV-10)",
        auth="session",
        permission="campaigns.view",
        description="Each with the campaign where it is pending, if any.",
        query=MissedQuery,
        replies=(Reply(200, "the missed calls", MissedCalls),),
    ),
    Route(
        "POST",
        "/api/v1/missed-calls/assign",
        "missed_calls_assign",
        contacts.assign_missed,
        "Make missed calls contacts of a campaign (SV-10)",
        auth="csrf",
        permission="campaigns.control",
        description="A campaign of a queue you supervise, calls of your queues. One contact "
        "per number while it is pending: a number already pending, on a do-not-call list, "
        "a call already assigned to it or without a valid number is refused with its reason.",
        body=AssignMissed,
        body_required=True,
        replies=(Reply(200, "what was added and what was not", AssignReport),),
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/dnc",
        "dnc_numbers",
        contacts.list_dnc,
        "Do-not-call numbers: every campaign's list and your campaigns' own",
        auth="session",
        permission="dnc.manage",
        query=DncQuery,
        replies=(Reply(200, "the numbers, newest first", DncNumbers),),
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/v1/dnc",
        "dnc_add",
        contacts.add_dnc,
        "Add numbers to a do-not-call list",
        auth="csrf",
        permission="dnc.manage",
        description='Scope "*": no campaign calls them; a campaign\'s name: that one. Pending '
        "contacts with these numbers are taken off; a number is checked again before each "
        "dial. A number that is not one: 400 naming it.",
        body=DncAdd,
        body_required=True,
        replies=(Reply(200, "added", DncAdded),),
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/v1/dnc/import",
        "dnc_import",
        contacts.import_dnc,
        "Import a do-not-call list from a CSV file",
        auth="csrf",
        permission="dnc.manage",
        description=_FILE + " One number per row: a column named number (or numéro, "
        "téléphone...), or the only column. Rows that are not numbers are listed with their "
        "line; the others are added.",
        query=DncImport,
        raw_body=CSV_TYPES,
        replies=(Reply(200, "added", DncAdded),),
        errors=(404,),
    ),
)

__all__ = ["CAMPAIGN_ROUTES"]
