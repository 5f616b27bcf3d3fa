"""Answer spans of a type inside a sentence (English or Spanish).

``find_spans(sentence, answer_type, question)`` returns :class:`Found` spans — offsets into
the sentence, so ``sentence[f.start:f.end] == f.text`` — of the asked type that the
question does not already contain:

- quantity: numbers in digits or words with their unit ("45 días hábiles", "3.3 million
  persons", "14%", "more than 90 per cent", "4 in every 10", "una vez por trimestre"); never
  a year, an article number, a footnote marker, a code like "COVID-19", a list item's number,
  a day of a date, part of an amount of money or part of a web address or reference code
  ("www.gob.mx/…/079-personas", "C/106/40"); ``measure_of``
  tells a share, a frequency, a duration and a count apart;
- date: years, days and months ("2017", "19 de septiembre", "March 2020");
- money: amounts in pesos / MXN / USD / dollars, "$…", "salarios mínimos", "días de salario",
  UMA ("quinientos a dos mil salarios", "5,600 Mexican pesos");
- law_article: article labels ("Artículo 7o", "article 11");
- person_org / place: capitalised names and acronyms ("Mexican Commission for Refugee
  Assistance (COMAR)", "Oaxaca").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.readers.law_heads import LATIN  # an article suffix: "Bis", "Quáter", "Quintus"
from assistant.text import fold, stopwords

_UNITS_ES = ("uno|una|un|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|trece|catorce|quince|"
             "dieciseis|diecisiete|dieciocho|diecinueve|veinte|veinti\\w+|treinta|cuarenta|cincuenta|"
             "sesenta|setenta|ochenta|noventa|cien|ciento|(?:dos|tres|cuatro|seis|sete|ocho|nove)cient[oa]s|quinient[oa]s|"
             "mil|mill[oó]n|millones")
_UNITS_EN = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
             "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
             "hundred|thousand|million|billion|twice|once|half|dozen")
_WORD_NUMBER = rf"(?:{_UNITS_ES}|{_UNITS_EN})(?:(?:\s+|-)(?:y|and|{_UNITS_ES}|{_UNITS_EN}))*"
_DIGITS = r"(?:\d{1,3}(?:[,.]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
_MAGNITUDE = r"(?:\s+(?:million|millones|mil|thousand|billion|mil millones))?"
_PERCENT = r"(?:\s*%|\s+per\s*cent|\s+percent|\s+por\s+ciento)"
NUMBER = re.compile(rf"(?<![\w.,-])(?:(?:more|less|fewer) than |at least |up to |about |around |approximately |"
                    rf"roughly |some |almost |nearly |over |m[aá]s de |menos de |al menos |hasta |cerca de |casi |"
                    rf"aproximadamente |alrededor de |unos |unas )?"
                    rf"(?:{_DIGITS}|{_WORD_NUMBER}){_MAGNITUDE}{_PERCENT}?(?![\w]|[-/.]\d|\.$)", re.IGNORECASE)
_LABEL_BEFORE = re.compile(r"(art[íi]culos?|articles?|art\.|arts\.|fracci[óo]n|section|secci[óo]n|d[íi]a|"
                           r"cap[íi]tulo|chapter|numeral|apartado|inciso|page|p[áa]gina|p\.|no\.|"
                           r"número|number|footnote|nota|indicator|indicador|figure|figura|table|tabla|cuadro|gr[áa]fic[ao]|graph|"
                           r"chart|annex|anexo|box|recuadro)\s*$", re.IGNORECASE)
# A later label in a list after a plural label word: the "70" of "artículos 35 Bis y 70",
# the "13" of "articles 12, 13 and 14".
_LABEL_LIST_BEFORE = re.compile(r"(?:art[íi]culos|articles|arts\.|fracciones|numerales|apartados|incisos|sections|"
                                r"secciones|chapters|cap[íi]tulos|pages|p[áa]ginas|pp\.)\s+"
                                rf"(?:[\w-]+(?:\s+{LATIN}\b)?(?:\s*,\s*|\s+(?:y|e|o|and|or|to|a)\s+))+$",
                                re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.,])(1[89]\d\d|20\d\d)(?![\w.,]\d)")
_MONTHS = ("enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|"
           "diciembre|january|february|march|april|may|june|july|august|september|october|november|december")
_YEAR_RANGE = (r"\b(?:between|from|entre|de|desde|del)\s+(?:1[89]|20)\d\d\s+(?:and|to|until|y|a|al|hasta)\s+(?:1[89]|20)\d\d\b|"
               r"(?<![\w.,])(?:1[89]|20)\d\d\s?[–-]\s?(?:1[89]|20)\d\d(?![\w.,]\d)")  # "between 2014 and 2018", "2015–2020"
_DAY_OF_MONTH = (rf"\d{{1,2}}\s+(?:de\s+)?(?:{_MONTHS})", rf"(?:{_MONTHS})\s+\d{{1,2}}")  # "5 de octubre", "March 3"
DATE = re.compile(rf"\b(?:{_DAY_OF_MONTH[0]}(?:\s+(?:de(?:l)?\s+)?(?:1[89]|20)\d\d)?|"
                  rf"{_DAY_OF_MONTH[1]}(?:,\s*(?:1[89]|20)\d\d)?|(?:{_MONTHS})\s+(?:de(?:l)?\s+)?"
                  rf"(?:1[89]|20)\d\d)\b|{_YEAR_RANGE}|(?<![\w.,])(?:(?:since|desde|until|hasta)\s+)?(?:1[89]\d\d|20\d\d)(?![\w.,]\d)", re.IGNORECASE)
_DAY = re.compile(rf"\b{_DAY_OF_MONTH[0]}\b|\b{_DAY_OF_MONTH[1]}(?!\d)|\b\d{{1,2}}[/-]\d{{1,2}}[/-]\d{{2,4}}\b",
                  re.IGNORECASE)


def has_day(span: str) -> bool:
    """Whether a date span gives the day ("2 January 2020", "5 de octubre", "March 3"), not only
    a month or a year."""
    return _DAY.search(span) is not None


_CURRENCY = (r"(?:mexican\s+)?pesos(?:\s+mexicanos)?|mxn|usd|us\s?dollars|dollars|d[óo]lares|euros?|"
             r"(?:d[íi]as\s+de\s+)?salarios?\s+m[íi]nimos?(?:\s+general(?:es)?)?(?:\s+vigentes?)?|"
             r"d[íi]as\s+de\s+salario(?:\s+m[íi]nimo)?|veces\s+(?:el\s+valor\s+(?:diario\s+)?de\s+)?"
             r"la\s+(?:uma|unidad\s+de\s+medida\s+y\s+actualizaci[óo]n)|umas?|"
             r"unidades\s+de\s+medida\s+y\s+actualizaci[óo]n")
_AMOUNT = rf"(?:{_DIGITS}|{_WORD_NUMBER}){_MAGNITUDE}"
MONEY = re.compile(rf"(?:(?:multa|fine)\s+(?:de|of)\s+)?(?:(?:US)?\$\s?{_DIGITS}{_MAGNITUDE}|"
                   rf"{_AMOUNT}(?:\s+(?:a|to|y|and|hasta)\s+{_AMOUNT})?\s+(?:de\s+)?(?:{_CURRENCY}))(?![\w])",
                   re.IGNORECASE)
ARTICLE = re.compile(rf"\b(?:art[íi]culos?|articles?|arts?\.)\s+\d+(?:o\b|º|°)?(?:\s+{LATIN}\b(?:\s+\d{{1,3}}\b)?)?"
                     r"(?:(?:,|\s+y|\s+and)\s+\d+(?:o\b|º|°)?)*", re.IGNORECASE)  # "Artículo 77 Bis 1"
_SUFFIX_BEFORE = re.compile(rf"\d\s+{LATIN}\s*$", re.IGNORECASE)  # the "6" of "Artículo 157 Bis 6"
_CONNECT = r"(?:of|for|on|the|and|de|del|la|las|los|el|y|para|en|a|al|in|to|e)"
_CAP = r"(?:[A-ZÁÉÍÓÚÑ][\w'’-]*[\w]|[A-Z]{2,}[a-z]?)"
NAME = re.compile(rf"{_CAP}(?:\s+(?:{_CONNECT}\s+){{0,2}}{_CAP})*(?:\s+\([A-Z][\w-]*\))?")
_UNIT_SKIP = frozenset({"per", "por", "de", "a", "al"})
_PROPORTION = re.compile(rf"\s+(?:in|out of|of every|in every|de cada|en cada)\s+(?:{_DIGITS}|{_WORD_NUMBER})(?![\w])",
                         re.IGNORECASE)  # "4 in every 10", "3 de cada 10"
_RANGE = re.compile(rf"\s*(?:to|a|and|y|-|–|ni m[aá]s de|nor more than)\s*(?:{_DIGITS}|{_WORD_NUMBER})(?![\w])",
                    re.IGNORECASE)  # "18 to 29", "de diez a veinte", "no menos de diez ni más de veinte"
_PERCENT_END = re.compile(r"%|cent|ciento$")  # a share already carries its unit
ACRONYM = re.compile(r"[A-Z]{2,}[a-z]?")  # "COMAR", "ONGs" (fullmatch)
_SHARE = re.compile(r"%|per\s*cent|percent|por\s+ciento|\b(?:in|out of|of every|in every|de cada|en cada)\s+\S",
                    re.IGNORECASE)
_FREQUENCY = re.compile(r"\b(?:vez|veces|times?|once|twice|ocasi[óo]n|ocasiones|occasions?)\b", re.IGNORECASE)
_TIME_UNIT = re.compile(r"\b(?:(?P<day>d[íi]as?|days?)|(?P<week>semanas?|weeks?)|(?P<month>mes(?:es)?|months?)|"
                        r"(?P<year>a[ñn]os?|years?)|(?P<hour>horas?|hours?)|(?P<quarter>trimestres?|quarters?)|"
                        r"(?P<bimester>bimestres?))\b", re.IGNORECASE)


def time_unit(text: str) -> str:
    """The unit of time ``text`` names first, in either language ("sesenta días" → "day",
    "hours" → "hour"); "" when it names none."""
    match = _TIME_UNIT.search(text)
    return (match.lastgroup or "") if match else ""


def measure_of(span: str) -> str:
    """What a quantity span measures: "share", "frequency", "duration" or "count" (the
    question-side names in assistant.answer.types.MEASURES)."""
    if _SHARE.search(span):
        return "share"
    if _FREQUENCY.search(span):
        return "frequency"
    return "duration" if time_unit(span) else "count"


@dataclass(frozen=True)
class Found:
    """One answer span: offsets into the sentence and its verbatim text."""

    start: int
    end: int
    text: str


def _numbers_of(text: str) -> set[str]:
    """The numbers a text holds, digits without separators, words folded."""
    found = set()
    for match in NUMBER.finditer(text):
        value = re.sub(r"^(more|less|fewer) than |^(at least|up to|about|around|almost|nearly|over|mas de|"
                       r"menos de|al menos|hasta|cerca de|casi) ", "", fold(match.group(0)))
        value = re.sub(r"[,.](?=\d{3}\b)", "", value)
        found.add(value.split()[0] if value.split() else value)
    return found


# After a unit, a participle or a word placing the time is no part of it: "30 días hábiles
# [contados]", "cinco años [inmediatos] anteriores", "80 indicators [grouped]".
_NOT_UNIT = re.compile(r"\w{3,}(?:ed|ad[oa]s?|id[oa]s?)|anteriores|siguientes|posteriores|inmediat[oa]s|previ[oa]s|"
                       r"following|previous|before|after|later|earlier|ago")


def _with_unit(sentence: str, start: int, end: int, words: int = 2) -> int:
    """Extend a number's end over its unit: up to ``words`` content words ("días hábiles"),
    never over a participle or a word placing the time after the first (``_NOT_UNIT``)."""
    stop = stopwords()
    cursor, taken, skipped = end, 0, end
    for match in re.finditer(r"\s+([^\W\d_][\w'-]*)", sentence[end:]):
        if match.start() != skipped - end or taken >= words + 1:
            break
        word = fold(match.group(1))
        if word in _UNIT_SKIP and taken < words:
            skipped = end + match.end()  # "por", "de": kept only before a unit word ("30 por ciento", not "146 de")
            continue
        if word in stop or len(word) < 3 or (taken and _NOT_UNIT.fullmatch(word)):
            break
        cursor = skipped = end + match.end()
        taken += 1
        if taken >= words:
            break
    return cursor


def quantities(sentence: str, question: str = "") -> list[Found]:
    """Numbers with their units that the question does not hold (module docstring)."""
    asked = _numbers_of(question)
    amounts = [m.span() for m in MONEY.finditer(sentence)]
    out: list[Found] = []
    for match in NUMBER.finditer(sentence):
        text = match.group(0)
        if out and match.start() < out[-1].end:
            continue  # the "10" of "4 in every 10"
        bare = fold(text).split()[-1]
        before = sentence[max(0, match.start() - 14): match.start()]
        if (_YEAR.fullmatch(bare) or _LABEL_BEFORE.search(before) or _SUFFIX_BEFORE.search(before)
                or re.search(r"[\w]-?$", before)):
            continue  # a year ("up to 2021"), a label's number ("Figure 2", "157 Bis 6"), part of a code
        if _LABEL_LIST_BEFORE.search(sentence[max(0, match.start() - 80): match.start()]):
            continue  # a later label of a list ("artículos 35 Bis y 70")
        if enumerator(sentence, match.start(), match.end()) or DATE.match(sentence, match.start()):
            continue  # a list item's number ("5. El Gobierno …"), a day of a date
        if in_address(sentence, match.start(), match.end(), slash=True):
            continue  # part of a web address or a reference code ("…/prensa/079-…", "C/106/40")
        if any(a <= match.start() < b for a, b in amounts):
            continue  # part of an amount of money ("multa de cien a quinientos días de salario")
        if bare in ("one", "uno", "una", "un", "once", "half") and not re.match(
                r"\s+(vez|time|year|month|day|week|a[ñn]o|mes|d[íi]a|semana|quarter|trimestre)", sentence[match.end():]):
            continue
        if _numbers_of(text) & asked:
            continue
        proportion = _PROPORTION.match(sentence, match.end())
        bound = None if proportion else _range_after(sentence, match)
        if proportion:
            end = proportion.end()
        elif bound:
            end = _with_unit(sentence, match.start(), bound.end())
        else:
            end = match.end() if _PERCENT_END.search(text) else _with_unit(sentence, match.start(), match.end())
        out.append(Found(match.start(), end, sentence[match.start(): end]))
    return out


_WORD_END, _WORD_START = re.compile(r"\S*$"), re.compile(r"\S*")  # the rest of the word around a span
_ADDRESS = re.compile(r"https?:|www\.|://|\.(?:mx|org|com|net|gob|int|gov)\b", re.IGNORECASE)


def in_address(sentence: str, start: int, end: int, slash: bool = False) -> bool:
    """Whether ``sentence[start:end]`` stands inside a web address — or, with ``slash``, inside
    any word holding a slash (a path or a document code: "C/106/40"). A date's own slashes
    ("20/05/2021") are the caller's to allow: only quantities pass ``slash``."""
    before, after = _WORD_END.search(sentence, 0, start).group(0), _WORD_START.match(sentence, end).group(0)
    word = before + sentence[start:end] + after
    return bool(_ADDRESS.search(word)) or (slash and "/" in word)


def _range_after(sentence: str, match: re.Match[str]) -> re.Match[str] | None:
    """The second bound of a range after a bare number ("18 to 29 years"): not after a
    number that already has a unit or a percent sign, and never a year."""
    if _PERCENT_END.search(match.group(0)):
        return None
    second = _RANGE.match(sentence, match.end())
    if second is None or _YEAR.search(second.group(0)):
        return None
    return second


def enumerator(sentence: str, start: int, end: int) -> bool:
    """The number that opens a list item or a numbered paragraph ("5. El Gobierno …", "2) …")."""
    return not sentence[:start].strip(" \t\n•-(") and re.match(r"\s*[.)]\s", sentence[end:]) is not None


def _regex_spans(pattern: re.Pattern[str], sentence: str, question: str) -> list[Found]:
    """Matches whose text is not in the question and that hold a number the question lacks."""
    asked, asked_numbers = fold(question), _numbers_of(question)
    out = []
    for match in pattern.finditer(sentence):
        numbers = _numbers_of(match.group(0))
        if fold(match.group(0)).strip() in asked or (numbers and numbers <= asked_numbers):
            continue
        if in_address(sentence, match.start(), match.end()):
            continue  # "…/uploads/2020/05/…" dates no event
        out.append(Found(match.start(), match.end(), match.group(0)))
    return out


_INSTRUMENT = re.compile(r"\b(?:Ley|Leyes|Law|Laws|Constituci[óo]n|Constitution|C[óo]digo|Code|Reglamento|"
                         r"Regulations?|Decreto|Decree|Act|Norma|Article|Art[íi]culo|Fracci[óo]n|Cap[íi]tulo|"
                         r"Chapter|T[íi]tulo|Apartado|Inciso|Numeral|P[áa]rrafo|Transitorios?)\b")
_LIST_MARK = re.compile(r"(?:^|\s)(?:[IVXLC]+|\d{1,2}|[a-z])[.)]\s*$")


def names(sentence: str, question: str) -> list[Found]:
    """Capitalised names and acronyms the question does not already contain — never a legal
    instrument's title ("Ley General de Salud" names a law, not a body or a place), nor the
    gloss in parentheses after a name ("Mexican Commission for Refugee Assistance (Comisión
    Mexicana de Ayuda a Refugiados, COMAR)" gives the first and the acronym), nor a
    publication reference ("DOF 19-05-2017")."""
    asked = set(re.findall(r"\w+", fold(question)))
    out = []
    for match in NAME.finditer(sentence):
        lead = re.match(r"(?:The|La|El|Los|Las|Este|Esta|This|These|In|En|Its|Su|Sus)\s+", match.group(0))
        begin = match.start() + (lead.end() if lead else 0)
        text = sentence[begin: match.end()]
        if not re.match(_CAP, text):
            continue
        words = [w for w in re.findall(r"\w+", fold(text)) if len(w) > 2 and w not in stopwords()]
        before = sentence[: match.start()]
        at_start = before.strip() in ("", "•", "-", "(", "“", '"') or _LIST_MARK.search(before) is not None
        single = len(words) <= 1 and not ACRONYM.fullmatch(text)
        numeral = re.fullmatch(r"[IVXLCDM]+", text) is not None  # a fracción's number, not an acronym
        gloss = bool(out) and re.fullmatch(r"\s*\(\s*", sentence[out[-1].end: begin]) is not None
        reference = re.match(r"\s+\d{1,2}[-/]\d{1,2}[-/]\d{4}", sentence[match.end():]) is not None  # "DOF 19-05-2017"
        instrument = _INSTRUMENT.search(text.title() if text.isupper() else text)  # "DECRETO por el que …"
        if (not words or all(w in asked for w in words) or (single and at_start) or numeral
                or instrument or gloss or reference):
            continue
        out.append(Found(begin, match.end(), text))
    return out


def find_spans(sentence: str, answer_type: str, question: str = "") -> list[Found]:
    """Spans of ``answer_type`` in ``sentence`` that ``question`` does not already hold."""
    if answer_type == "quantity":
        return quantities(sentence, question)
    if answer_type == "money":
        return [f for f in _regex_spans(MONEY, sentence, question) if not _LABEL_BEFORE.search(sentence[: f.start])]
    if answer_type == "date":
        return [f for f in _regex_spans(DATE, sentence, question)
                if not _LABEL_BEFORE.search(sentence[max(0, f.start - 14): f.start])]
    if answer_type == "law_article":
        return _regex_spans(ARTICLE, sentence, question)
    if answer_type in ("person_org", "place"):
        return names(sentence, question)
    return []


COMPARISON = re.compile(
    r"\b(more|less|fewer|higher|lower|larger|smaller|greater|bigger|better|worse|most|least|"
    r"highest|lowest|largest|smallest|compared|comparison|than|versus|m[áa]s|menos|mayor|menor|"
    r"mejor|peor|comparaci[óo]n|comparad[oa]s?|frente a|respecto)\b", re.IGNORECASE)


def comparisons(sentence: str) -> list[Found]:
    """Words that make a comparison ("more … than", "mayor", "compared with")."""
    return [Found(m.start(), m.end(), m.group(0)) for m in COMPARISON.finditer(sentence)]
