"""The form renderer's own words (buttons, hints, summaries) in the form languages.

Form texts come from the definition in the same {"nb": ..., "en": ...} shape, so the renderer
takes one `lang` for both and needs no Qt translator to be installed.
"""

from __future__ import annotations

from desktop_app.forms.text import fill, localized

_TEXTS: dict[str, dict[str, str]] = {
    "choose": {"nb": "– velg –", "en": "– choose –"},
    "clear": {"nb": "Fjern svar", "en": "Clear"},
    "clear_tip": {
        "nb": "Fjern svaret på «{label}» (Delete på et valgt svar)",
        "en": 'Clear the answer to "{label}" (Delete on a chosen answer)',
    },
    "date_placeholder": {"nb": "ÅÅÅÅ-MM-DD", "en": "YYYY-MM-DD"},
    "calendar_button": {"nb": "Kalender…", "en": "Calendar…"},
    "calendar": {
        "nb": "Velg dato i kalender (Alt+Pil ned)",
        "en": "Pick the date from a calendar (Alt+Down)",
    },
    "code_placeholder": {
        "nb": "Skriv kode eller ord for å søke",
        "en": "Type a code or a word to search",
    },
    "show_all_codes": {
        "nb": "Vis hele listen (Alt+Pil ned)",
        "en": "Show the whole list (Alt+Down)",
    },
    "identity_placeholder": {"nb": "11 sifre", "en": "11 digits"},
    "born": {"nb": "Født {date}", "en": "Born {date}"},
    "gender.M": {"nb": "mann", "en": "male"},
    "gender.F": {"nb": "kvinne", "en": "female"},
    "kind.d": {"nb": "D-nummer", "en": "D-number"},
    "kind.h": {"nb": "H-nummer", "en": "H-number"},
    "range": {"nb": "{low}–{high}", "en": "{low}–{high}"},
    "at_least": {"nb": "minst {low}", "en": "at least {low}"},
    "at_most": {"nb": "høyst {high}", "en": "at most {high}"},
    "not_an_option": {
        "nb": "Lagret svar «{value}» er ikke et av valgene.",
        "en": 'The saved answer "{value}" is not one of the options.',
    },
    "required_mark": {"nb": "må fylles ut", "en": "required"},
    "summary.one": {"nb": "1 problem å rette:", "en": "1 problem to fix:"},
    "summary.many": {"nb": "{count} problemer å rette:", "en": "{count} problems to fix:"},
    "summary.hint": {
        "nb": "Klikk på et problem for å gå til feltet.",
        "en": "Click a problem to go to its field.",
    },
    "warning": {"nb": "Advarsel", "en": "Warning"},
    # Computed fields and repeat groups
    "computed.badge": {"nb": "beregnes automatisk", "en": "worked out automatically"},
    "computed.missing": {
        "nb": "Fyll ut {fields} for å regne ut.",
        "en": "Fill in {fields} to compute.",
    },
    "group.add": {"nb": "Legg til {row}", "en": "Add {row}"},
    "group.remove": {"nb": "Fjern", "en": "Remove"},
    "group.remove_tip": {"nb": "Fjern {row}", "en": "Remove {row}"},
    "group.confirm": {
        "nb": "{row} har svar. Fjerne raden med svarene?",
        "en": "{row} has answers. Remove the row and its answers?",
    },
    "group.confirm_remove": {"nb": "Fjern raden", "en": "Remove the row"},
    "group.confirm_keep": {"nb": "Behold", "en": "Keep"},
    "group.empty": {"nb": "Ingen rader ennå.", "en": "No rows yet."},
    "group.full": {
        "nb": "Høyst {max_rows} rader; fjern en for å legge til en ny.",
        "en": "At most {max_rows} rows; remove one to add another.",
    },
    "group.where": {"nb": "{row} › {field}", "en": "{row} › {field}"},
    # The draft editor page
    "editor.version": {"nb": "versjon {version}", "en": "version {version}"},
    "editor.patient": {"nb": "Pasient: {patient}", "en": "Patient: {patient}"},
    "editor.no_patient": {"nb": "Pasient: ikke fylt ut ennå", "en": "Patient: not entered yet"},
    "editor.submit": {"nb": "Send inn", "en": "Submit"},
    "editor.problems.none": {"nb": "Klar til innsending", "en": "Ready to submit"},
    "editor.problems.one": {
        "nb": "1 problem må rettes før innsending",
        "en": "1 problem to fix before submitting",
    },
    "editor.problems.many": {
        "nb": "{count} problemer må rettes før innsending",
        "en": "{count} problems to fix before submitting",
    },
    "editor.refused.one": {
        "nb": "1 problem må rettes før rapporten kan sendes inn. Velg det i listen over for å "
        "gå til feltet.",
        "en": "1 problem must be fixed before this report can be submitted. "
        "Choose it in the list above to go to its field.",
    },
    "editor.refused.many": {
        "nb": "{count} problemer må rettes før rapporten kan sendes inn. Velg et problem i "
        "listen over for å gå til feltet.",
        "en": "{count} problems must be fixed before this report can be submitted. "
        "Choose one in the list above to go to its field.",
    },
    "editor.submit_failed": {
        "nb": "Rapporten kunne ikke sendes inn: {reason} Svarene er lagret som utkast; prøv igjen.",
        "en": "The report could not be submitted: {reason} "
        "Your answers are kept as a draft; try again.",
    },
    "editor.returned": {
        "nb": "Registeret returnerte denne rapporten: {detail} Rett de merkede feltene og send "
        "inn på nytt.",
        "en": "The registry returned this report: {detail} Fix the marked fields and submit "
        "it again.",
    },
    "editor.returned_no_detail": {
        "nb": "den besto ikke registerets kontroller.",
        "en": "it did not pass the registry's checks.",
    },
    "editor.read_only": {
        "nb": "Denne rapporten er sendt inn ({state}) og kan ikke endres.",
        "en": "This report has been submitted ({state}) and can no longer be changed.",
    },
    "editor.migrated": {
        "nb": "Dette utkastet er flyttet til versjon {version} av skjemaet. Kontroller endringene:",
        "en": "This draft has been moved to version {version} of the form. Check what changed:",
    },
    "editor.migrated_hide": {"nb": "Skjul", "en": "Hide"},
    "editor.saving": {"nb": "Lagrer …", "en": "Saving…"},
    "editor.saved": {"nb": "Alle endringer er lagret", "en": "All changes saved"},
    "editor.save_failed": {
        "nb": "Utkastet ble ikke lagret: {reason} Ikke lukk programmet; prøv å endre et felt "
        "igjen, eller kontakt brukerstøtte.",
        "en": "The draft was not saved: {reason} Do not close the program; try changing a "
        "field again, or contact support.",
    },
    "form_level": {"nb": "Skjemaet", "en": "The form"},
}


def text(key: str, lang: str, **params: object) -> str:
    return fill(localized(_TEXTS[key], lang), params) if params else localized(_TEXTS[key], lang)
