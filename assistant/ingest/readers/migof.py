"""MGI structure: the MiGOF dimension and assessment of every profile section.

Every MGI profile (national or local) reports its findings under the six dimensions of
the Migration Governance Framework, each split into well-developed areas and areas with
potential for development. The rule reads the profile's own headings: a heading whose
words carry a dimension's cue sets that dimension for itself and every section under it;
a heading saying "well-developed" or "potential for (further) development" sets the
assessment the same way. Sections outside those headings carry neither.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.records import Section

DIMENSIONS: tuple[str, ...] = (
    "migrants' rights",
    "whole-of-government approach",
    "partnerships",
    "well-being of migrants",
    "mobility dimensions of crises",
    "safe, orderly and regular migration",
)
WELL_DEVELOPED = "well-developed"
POTENTIAL = "potential for development"
ASSESSMENTS: tuple[str, ...] = (WELL_DEVELOPED, POTENTIAL)

# Cues as MGI profiles phrase the MiGOF principles and objectives (English and Spanish).
_CUES: dict[str, re.Pattern[str]] = {
    DIMENSIONS[0]: re.compile(r"\bmigrants?\W? rights\b|\bderechos de (?:los |las )?(?:personas )?migrantes\b"),
    DIMENSIONS[1]: re.compile(r"\bwhole.of.government\b|\bgobierno en su conjunto\b|\benfoque de gobierno integral\b"),
    DIMENSIONS[2]: re.compile(r"\bpartner(?:s|ships?)\b|\basociaciones\b|\bcolabora\w* con (?:los )?asociados\b"),
    DIMENSIONS[3]: re.compile(r"\bwell.being\b|\bbienestar\b"),
    DIMENSIONS[4]: re.compile(r"\bmobility dimensions? of crises\b|\bcrisis\b"),
    DIMENSIONS[5]: re.compile(r"\bsafe\W+orderly\b|\bsegura\W+ordenada\b"),
}
_ASSESSMENT_CUES: dict[str, re.Pattern[str]] = {
    WELL_DEVELOPED: re.compile(r"\bwell.developed\b|\bbien desarrollad"),
    POTENTIAL: re.compile(r"\bpotential for (?:further )?development\b|\bpotencial de (?:mayor )?desarrollo\b"
                          r"|\bareas? (?:for|of) (?:further )?development\b"),
}


def _plain(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold().replace("’", "'")
    return re.sub(r"\s+", " ", text)


def dimension_of(title: str) -> str | None:
    """The MiGOF dimension a heading names (the first cue found, in MiGOF order), or None."""
    plain = _plain(title)
    if _ASSESSMENT_CUES[WELL_DEVELOPED].search(plain) or _ASSESSMENT_CUES[POTENTIAL].search(plain):
        return None  # "well-developed areas" is an assessment, not the well-being dimension
    return next((name for name, cue in _CUES.items() if cue.search(plain)), None)


def assessment_of(title: str) -> str | None:
    """ "well-developed" / "potential for development" when the heading says so."""
    plain = _plain(title)
    return next((name for name, cue in _ASSESSMENT_CUES.items() if cue.search(plain)), None)


def tag_sections(sections: list[Section]) -> list[Section]:
    """Set ``dimension`` and ``assessment`` on every section from its own heading or the
    nearest heading above it that names one (in place; returns the list)."""
    for section in sections:
        if section.kind != "heading":
            continue
        containing = sorted((s for s in sections if s.kind == "heading" and s.start <= section.start < s.end
                             and s.level <= section.level), key=lambda s: s.level)
        for outer in containing:
            section.dimension = dimension_of(outer.title) or section.dimension
            section.assessment = assessment_of(outer.title) or section.assessment
        if section.assessment and not section.dimension:
            section.assessment = None  # an assessment only means something within a dimension
    return sections


def findings(document, section: Section) -> list[tuple[int, int]]:
    """The paragraphs of an assessment section (its heading line excluded), as offsets;
    footnote and sub-heading blocks are paragraphs too (each one a finding line)."""
    text = document.text
    body_start = text.find("\n", section.start, section.end)
    body_start = section.end if body_start < 0 else body_start
    spans = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text[body_start:section.end]):
        start, end = body_start + match.start(), body_start + match.end()
        if len(match.group(0).strip()) >= 40:  # a stray heading or page mark is no finding
            spans.append((start, end))
    return spans


def scorecard(document) -> list[dict]:
    """The profile as a scorecard: per MiGOF dimension (profile order), its well-developed
    areas and its areas with potential for development, each a list of finding spans."""
    cards: dict[str, dict] = {}
    for section in document.sections:
        if not (section.dimension and section.assessment):
            continue
        if any(s.assessment == section.assessment and s.dimension == section.dimension and s.level < section.level
               for s in document.sections if s.start <= section.start < s.end):
            continue  # a sub-heading inside an assessment section: its findings are already counted
        card = cards.setdefault(section.dimension, {"dimension": section.dimension, WELL_DEVELOPED: [], POTENTIAL: []})
        card[section.assessment] += findings(document, section)
    return list(cards.values())
