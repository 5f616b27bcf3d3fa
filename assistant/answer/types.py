"""What kind of answer a question asks for, in English or Spanish.

``classify(question)`` returns a :class:`QuestionType`: the answer type (one of
:data:`ANSWER_TYPES`), whether the question is comparative, and the cue words that decided
it (so the judge can leave them out of the question's subject). General rules, in order:

1. law_article — "which article / provision", "qué artículo / precepto";
2. money — "how much" / "cuánto" / "what fine" with a money word (cost, fee, pesos, fine …);
3. quantity — "how many / how long / how often / what share / percentage / rate",
   "cuántos / cuánto tiempo / qué porcentaje / con qué frecuencia …" (and "how much" without
   a money word);
4. date — "when / what year / since when / what (exact) day / what month", "cuándo / en qué año /
   qué día / qué mes" ("when"
   / "cuando" opening the question or joined by "and"; inside a clause it only joins clauses);
5. person_org — "who", "which ministry / agency / body …", "qué dependencia / instituto …";
6. place — "where", "in which states / cities", "dónde", "en qué entidades …";
7. list — "which laws / services / programmes …" (a plural head), "qué leyes", "cuáles son";
8. yes_no — an auxiliary verb first ("Does …", "Can …"), or a Spanish question opening with
   no interrogative word ("¿Cuenta la ciudad con …?");
9. description — everything else ("what does … say", "what kind of …").
A typed cue anywhere wins over a yes/no opening ("Is there support …, and who runs it?").
A quantity question also says what it measures (``MEASURES``): a share ("what percentage"),
a frequency ("how often"), a duration ("how long", "plazo") or a count ("how many"); a count
or share question also names what it counts (``counted_noun``: "how many officers").
A measure noun after "what" / "qué" asks for a figure ("what minimum age", "qué vigencia").
A list question that asks each instrument for a figure ("which laws fix how much … costs")
stays a list, and ``QuestionType.reading`` is that figure's type, which the judge reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.answer.spans import time_unit
from assistant.text import fold

ANSWER_TYPES = ("quantity", "date", "money", "person_org", "place", "law_article", "list",
                "yes_no", "description")
TYPED = frozenset({"quantity", "date", "money", "person_org", "place", "law_article"})

_MONEY_WORDS = (r"cost|costs|price|fee|fees|fine|fines|pesos?|mxn|usd|dollars?|money|pay|paid|payment|"
                r"salary|salaries|wage|wages|pension|compensation|amount|budget|lend|loan|funding|"
                r"cuesta|cuestan|costo|coste|precio|multa|multas|dinero|pago|paga|pagan|pagar|salario|pension|monto|"
                r"presupuesto|indemnizacion|aporta|aporto|prestamo|cobra|tarifa|sancion economica|cash|currency|"
                r"efectivo|moneda|apoyo economico|financial support")
_ORG_HEADS = (r"ministry|ministries|secretariat|agency|agencies|institution|institute|body|bodies|"
              r"authority|office|unit|organi[sz]ation|council|commission|committee|department|"
              r"forum|police|prosecutor'?s?|court|government|entity responsible|"
              r"undersecretariat|mechanism|dependencia|(sub)?secretaria|instancia|instituto|institucion|organismo|autoridad|oficina|unidad|"
              r"consejo|comision|comite|foro|policia|fiscalia|tribunal")
# Nouns that name a measure: "what minimum age", "what surcharge rate", "qué vigencia máxima",
# "con qué calificación numérica" ask for a figure (up to two words may stand before the noun).
_MEASURE_NOUNS = (r"ages?|rates?|majority|threshold|deadlines?|score|scores|percentage|duration|term of office|"
                  r"edad|edades|tasas?|mayoria|umbral|plazos?|calificacion|puntuacion|puntaje|vigencia|duracion|"
                  r"periodicidad|porcentaje|limite de edad")
_PLACE_HEADS = (r"states|cities|countries|municipalities|boroughs|alcaldias|places|regions|"
                r"entidades|estados|ciudades|paises|municipios|lugares|regiones|where|donde")

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("law_article", re.compile(
        r"\b(which|what) (article|provision|section of the (law|constitution))|"
        r"\b(que|cual|cuales) (articulo|precepto|disposicion)|\bwhat articles?\b|\ben que articulo|"
        r"^(where|donde|en donde)\b(?=.*\b(ley|law|constitucion|constitution|codigo|code|reglamento|regulation)\b)")),
    ("money", re.compile(
        rf"\b(how much|how many pesos|what (is|was) the total|what (is the )?(maximum |minimum )?(amount|fine|fee|price|cost)|"
        rf"cuanto|cuanta|de cuanto|que (multa|monto|cantidad de dinero|sancion))\b.*\b({_MONEY_WORDS})\b|"
        rf"\bwhat (is the )?(minimum |maximum )?(monthly |annual )?(pension|salary|wage|fine|fee)\b|"
        rf"\bwhat (is|was|are|were) [\w' -]{{0,40}}?\b(budget|pension|salary|wage|fee|price|cost)s?\b|"
        rf"\b(cual|que) (es|era|fue|son) [\w -]{{0,40}}?\b(presupuesto|monto|sueldo|salario|cuota|renta|costo|precio|"
        rf"pension|tarifa|gasto)s?\b|\bwhat (budget|fee|fine|salary|pension)s? (does|do|did|is|are|was|were)\b|\bque (presupuesto|monto|sueldo|cuota|renta)\b|"
        rf"\bque multa\b|\bcuanto (cuesta|cobra|dinero)\b")),
    ("quantity", re.compile(
        r"\b(how many|how long|how often|how much|what (share|percentage|proportion|part|fraction|slice|"
        r"rate|number|annual interest rate|interest rate)|(what|which) (is the )?(number|total) of|"
        r"cuantos|cuantas|cuanto tiempo|cuanto|cuanta|que (parte|porcentaje|proporcion|tasa|numero)|"
        r"con que (frecuencia|periodicidad)|cada cuanto|en cuantos|de cuantos|how frequently|que plazo|cual es el plazo|"
        r"how (quickly|soon|fast|far|old)|within what (time|period|distance|deadline)|(what|which) (distance|ages?)|"
        r"a que distancia|que (distancia|edad|edades)|en cuanto tiempo|en que plazo|(is there|hay) (a |an |un )?"
        r"(time limit|deadline|plazo|limite de tiempo))\b|"
        r"\bwhat (is|was|are|were) [\w' -]{0,50}?\b(balance|population|number|total|rate|share|percentage|"
        r"longest|shortest|maximum|minimum|size|proportion|period|deadline|term)\b|"
        rf"\b(what|which|que|cual|con que|a que)( [\w-]+){{0,2}} ({_MEASURE_NOUNS})\b")),
    ("date", re.compile(
        r"(^|\b(and|or|y|o|but|pero) )(when|cuando)\b|"  # "when …" asks; "what happens when …" joins clauses
        r"\b(what years?|which years?|in what year|since when|until when|(what|which)( exact| precise| specific)? "
        r"(date|day|month)|during which years|desde cuando|en que anos?|que anos?|que (dia|mes)|en que fecha|que fecha|"
        r"hasta cuando|durante que anos)\b")),
    ("person_org", re.compile(
        rf"^(who|quien|quienes)\b|\b(and|y) (who|quien)\b|\bwho (is|are|runs|leads|heads|was|handles|"
        rf"deals|coordinates|investigates)\b|\b(which|what|que|cual|cuales)( \w+){{0,2}} ({_ORG_HEADS})\b|"
        rf"\b(name of the|nombre del?) (current )?(head|director|titular)\b")),
    ("place", re.compile(
        rf"^(where|donde|en donde)\b|\b(in|en|which|what|que|cuales) (which |what |que )?({_PLACE_HEADS})\b")),
    ("list", re.compile(
        r"^(which|what) (laws|services|programmes|programs|instruments|authorities|kinds|types|"
        r"documents|requirements|rights|measures|partners|initiatives|gaps|challenges|actions|"
        r"benefits|steps)\b|^(what|which) (are|were) the\b|^(with what|on what) kinds\b|"
        r"^(which|what)( [\w-]+){0,3} [a-z-]{3,}s (are|were|do|did|fail|have|can|deal|exist|offer|include|"
        r"give|provide|apply|cover|protect|regulate)\b|"
        r"^(que|cuales) (leyes|servicios|programas|instrumentos|autoridades|tipos|documentos|"
        r"requisitos|derechos|medidas|acciones|beneficios)\b|^cuales son\b|\bwhat is missing\b")),
)

# What a quantity question measures (first match wins): a share, how often, how long, how many.
MEASURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("share", re.compile(r"\b(percentage|per ?cent|percent|share|proportion|fraction|what part|slice|rate|"
                         r"porcentaje|por ciento|proporcion|que parte|tasa)\b")),
    ("frequency", re.compile(r"\b(how often|how frequently|how many times|con que (frecuencia|periodicidad)|"
                             r"cada cuanto|cuantas veces)\b")),
    ("duration", re.compile(r"\b(how long|how (quickly|soon|fast)|cuanto tiempo|plazos?|deadlines?|time limits?|durante cuanto|"
                            r"validity|vigencia|duration|duracion|"
                            r"how many (days|weeks|months|years|hours)|cuant[oa]s (dias|semanas|meses|anos|horas)|"
                            r"within what (time|period)|(longest|shortest|maximum|minimum) (period|term|time|stay))\b")),
    ("count", re.compile(r"\b(how many|cuant[oa]s|number of|numero de)\b")),
)

_AUXILIARY = re.compile(
    r"^(do|does|did|is|are|was|were|can|could|will|would|must|should|shall|has|have|had|may|might)\b")
_INTERROGATIVE_ES = re.compile(
    r"^(y )?(que|cual|cuales|cuando|como|donde|quien|quienes|cuanto|cuanta|cuantos|cuantas|por que|"
    r"para que|en que|de que|a que|con que|desde cuando|hasta cuando|en donde|de donde|a quien|"
    r"what|which|who|how|where|when|why)\b")
_COMPARATIVE = re.compile(
    r"\b(compared? (with|to)|in comparison|versus|vs\.?|more than|less than|fewer than|higher than|"
    r"lower than|larger than|smaller than|bigger than|greater than|than (in|the|other)|rank(ed)? "
    r"against|more [\w-]+( [\w-]+){0,3} than|fewer [\w-]+( [\w-]+){0,3} than|mas [\w-]+( [\w-]+){0,3} que|"
    r"menos [\w-]+( [\w-]+){0,3} que|mejor que|peor que|better than|worse than|rank(ed)? "
    r"against|comparad[oa] con|en comparacion|frente a|mas que|menos que|mayor que|menor que|"
    r"mas alto que|mas bajo que|respecto a otr[oa]s?)\b")


@dataclass(frozen=True)
class QuestionType:
    """The answer a question asks for, whether it compares, and the words that said so."""

    answer_type: str
    comparative: bool = False
    cues: tuple[str, ...] = field(default_factory=tuple)
    measure: str = ""  # quantity questions: "share", "frequency", "duration" or "count" (MEASURES)
    counted: str = ""  # count and share questions: the noun counted ("how many officers" → "officers")
    person: bool = False  # person_org questions asking for a person ("who is the head of …"), not a body
    unit: str = ""  # count and duration questions: the unit of time counted ("how many hours" → "hour")
    exact: bool = False  # date questions asking for the day ("on what date", "qué día", "fecha exacta")
    body: bool = False  # person_org questions naming the kind of body asked ("which ministry", "qué dependencia")
    within: QuestionType | None = None  # list questions: the figure each instrument must give
    listing: tuple[str, ...] = ()  # that figure's reading: the list's own cue ("which laws"), no subject word

    @property
    def typed(self) -> bool:
        """True for types whose answer is a span: a figure, a date, an amount, a name, a place, an article."""
        return self.answer_type in TYPED

    @property
    def reading(self) -> QuestionType:
        """The type whose answers the judge looks for: the figure a list question asks of each
        instrument ("which laws fix how much … costs" → money), else the question's own type."""
        return self.within or self


def question_form(question: str) -> str:
    """Folded, punctuation-light form the rules read: "¿Qué artículo …?" → "que articulo …"."""
    text = fold(question).replace("¿", " ").replace("¡", " ")
    text = re.sub(r"[^\w\s'%-]", " ", text)
    return " ".join(text.split())


def is_yes_no(form: str) -> bool:
    """An auxiliary verb first (English), or no interrogative word first (Spanish)."""
    clause = re.split(r"\b(?:if|si)\b[^,]*,\s*", form, maxsplit=1)[-1] if form.startswith(("if ", "si ")) else form
    if _AUXILIARY.match(clause) or _AUXILIARY.match(form):
        return True
    english = re.match(r"^[a-z]+", form) and re.match(
        r"^(what|which|who|how|where|when|why|is|are|do|does|can|in|at|with|on|for|to|from|by)\b", form)
    return not english and not _INTERROGATIVE_ES.match(clause) and bool(re.match(
        r"^(y )?(cuenta|cuentan|existe|existen|hay|tiene|tienen|puede|pueden|debe|deben|es|son|esta|estan|"
        r"se |incluye|contempla|preve|establece|reconoce|permite|obliga|ofrece|considera)", clause))


_PERSON = re.compile(
    r"\b(who is|who was|who are|quien es|quien fue|quienes son)\b.*\b(head|president|director|chair|chairperson|"
    r"minister|mayor|secretary|titular|presidente|presidenta|directora?|jefe|jefa|secretari[oa]|alcaldesa|alcalde|"
    r"coordinadora?|comisionad[oa])\b|\bname of the (current )?(head|director|president|minister|mayor|chair)\b|"
    r"\bnombre del? (la )?(actual )?(titular|directora?|presidenta?|jefe|jefa)\b")


def asks_for_person(form: str) -> bool:
    """A question (``question_form``) asking who holds a post ("who is the current head of …",
    "nombre del titular"): its answer is a person's name, not a body's."""
    return _PERSON.search(form) is not None


_COUNTED = re.compile(r"\b(?:how many|cuant[oa]s|number of|numero de|(?:what|which) (?:percentage|share|proportion|part|"
                      r"fraction) of|que (?:porcentaje|proporcion|parte) de)((?:\s+[a-z][\w'-]*){1,4})")
_DETERMINERS = frozenset("the los las la el de del of those these all todos todas a an un una".split())
_PLURAL = re.compile(r"[a-z]+[^s]s|people|children|men|women|personnel|staff|personal")


def counted_noun(form: str) -> str:
    """The noun a count or share question counts, in ``question_form``: the first plural of
    the four words after the cue ("how many National Migration Institute officers" →
    "officers"; "cuántas caravanas migrantes" → "caravanas"), else the first word that is not
    a determiner ("qué porcentaje de la población" → "poblacion"); "" when none."""
    match = _COUNTED.search(form)
    if not match:
        return ""
    words = [w for w in match.group(1).split() if w not in _DETERMINERS]
    return next((w for w in words if _PLURAL.fullmatch(w)), words[0] if words else "")


def measure_asked(form: str) -> str:
    """What a quantity question (in ``question_form``) measures, "" when it does not say."""
    return next((name for name, pattern in MEASURES if pattern.search(form)), "")


_SUBORDINATE = re.compile(r"^\W*(when|whenever|once|after|if|cuando|una vez que|despues de que|si|en caso de que)\b[^,]{3,},\s*(?=\S)",
                          re.IGNORECASE)


def main_clause(question: str) -> str:
    """The question after a leading subordinate clause ("When a notary finds out …, how
    quickly must they …?" → "how quickly must they …?"); the whole question otherwise."""
    match = _SUBORDINATE.match(fold(question))
    return question[match.end():] if match else question


_EXACT_DATE = re.compile(r"\b(what|which)( exact| precise| specific)? (date|day)\b|\b(que|cual|en que) (fecha|dia)\b|"
                         r"\b(fecha|dia) exact[oa]\b|\bexact (date|day)\b|\bon what date\b")


def typed_as(answer_type: str, comparative: bool, match: re.Match[str], form: str,
             within: QuestionType | None = None) -> QuestionType:
    """The QuestionType a rule's ``match`` in ``form`` gives: what a quantity question measures
    and counts, whether a date question wants the day, whether a person_org question asks for
    a person or names the kind of body it asks for."""
    measure = measure_asked(form) if answer_type == "quantity" else ""
    noun = counted_noun(form) if measure else ""
    return QuestionType(answer_type, comparative, tuple(match.group(0).split()), measure,
                        noun if measure in ("count", "share") else "",
                        answer_type == "person_org" and asks_for_person(form),
                        time_unit(noun) if measure in ("count", "duration") else "",
                        answer_type == "date" and _EXACT_DATE.search(form) is not None,
                        answer_type == "person_org" and re.search(rf"\b({_ORG_HEADS})\b", match.group(0)) is not None,
                        within)


# A figure a list question asks of each instrument without "what": "set a minimum percentage",
# "the maximum duration", "un plazo máximo".
_BOUNDED_FIGURE = re.compile(r"\b(minimum|maximum|minim[oa]|maxim[oa]) (percentage|share|duration|deadline|term|period|"
                             r"amount|age)s?\b|\b(porcentaje|duracion|plazo|monto|edad|vigencia)s? (minim|maxim)[oa]s?\b")


def figure_asked(rest: str) -> QuestionType | None:
    """The quantity or money a list question's remainder (``question_form``) asks for ("which
    laws establish *cada cuántos años* …", "*cuánto cuesta* …", "*the maximum duration* of …")."""
    for answer_type, pattern in RULES:
        if answer_type in ("quantity", "money") and (match := pattern.search(rest)):
            return typed_as(answer_type, False, match, rest)
    match = _BOUNDED_FIGURE.search(rest)
    return typed_as("quantity", False, match, rest) if match else None


def classify(question: str) -> QuestionType:
    """The answer type of ``question`` (module docstring: the rules and their order).

    The cue that stands earliest in the question wins ("Who takes charge when …" asks for a
    body); a question opening with an auxiliary verb stays yes/no unless the typed cue comes
    after a conjunction ("…, and who runs it?"). A leading "when …," / "si …," clause is
    read past when the main clause carries a typed cue or opens a yes/no question."""
    clause = main_clause(question)
    if clause != question:
        kind = classify(clause)
        if kind.typed or kind.answer_type == "yes_no":
            return kind
    form = question_form(question)
    comparative = bool(_COMPARATIVE.search(form))
    found = [(match.start(), order, answer_type, match)
             for order, (answer_type, pattern) in enumerate(RULES)
             for match in [pattern.search(form)] if match]
    if found:
        start, _, answer_type, match = min(found)
        joined = re.match(r"(and|y) ", match.group(0))
        embedded = start > 0 and not joined and not re.search(r"(,|\band|\by)\s*(for |por |\w+ )?$", form[:start])
        if not (embedded and _AUXILIARY.match(form)):
            within = figure_asked(form[match.end():]) if answer_type == "list" else None
            within = replace(within, listing=tuple(match.group(0).split())) if within else None
            return typed_as(answer_type, comparative, match, form, within)
    if is_yes_no(form):
        return QuestionType("yes_no", comparative)
    return QuestionType("description", comparative)
