"""Answer types of questions, English and Spanish (fast tier: hand-made questions)."""

from __future__ import annotations

import pytest

from assistant.answer.types import ANSWER_TYPES, TYPED, classify

CASES = [
    ("quantity", "How many shelters did the city open?"),
    ("quantity", "What share of the budget goes to the welfare ministry?"),
    ("quantity", "How long does the institute have to decide an appeal?"),
    ("quantity", "¿Cuántos albergues abrió la ciudad?"),
    ("quantity", "¿Qué porcentaje de los migrantes trabaja en el comercio?"),
    ("quantity", "¿Con qué frecuencia se reúne el consejo?"),
    ("date", "In what year was the housing fund created?"),
    ("date", "Since when has the city called itself a sanctuary city?"),
    ("date", "¿Desde cuándo funciona la oficina de atención?"),
    ("date", "¿En qué año se publicó la ley?"),
    ("money", "How much does a residence card cost?"),
    ("money", "What fine does the law set for employers who hire without papers?"),
    ("money", "¿Cuánto dinero recibió cada beneficiario?"),
    ("money", "¿Qué multa impone la ley a los transportistas?"),
    ("person_org", "Who registers births of foreign children?"),
    ("person_org", "Which ministry runs the employment insurance?"),
    ("person_org", "¿Qué dependencia coordina la atención a migrantes?"),
    ("person_org", "¿Quién expide la constancia de residencia?"),
    ("place", "Where is the refugee commission based?"),
    ("place", "¿En qué ciudades se aplicó la encuesta?"),
    ("law_article", "Which article of the Migration Law grants free emergency care?"),
    ("law_article", "Which provision of the housing law defines decent housing?"),
    ("law_article", "¿Qué artículo de la Ley de Migración prohíbe las visitas a albergues?"),
    ("law_article", "¿En qué artículo se reconoce el derecho a la salud?"),
    ("list", "Which laws protect family unity?"),
    ("list", "Which city employment programmes are open to migrants?"),
    ("list", "¿Qué leyes regulan la protección civil?"),
    ("list", "¿Cuáles son los principios de la ley?"),
    ("yes_no", "Can a migrant without papers enrol a child in school?"),
    ("yes_no", "Does the city plan mention climate displacement?"),
    ("yes_no", "¿Puede un extranjero casarse sin documentos?"),
    ("yes_no", "¿Cuenta la ciudad con un seguro de desempleo?"),
    ("description", "What does the profile say about cultural mediation?"),
    ("description", "What kind of food aid do shelters receive?"),
    ("description", "¿Qué establece la ley sobre la reunificación familiar?"),
    ("description", "¿Cómo describe el perfil la migración de retorno?"),
]


@pytest.mark.parametrize("expected,question", CASES)
def test_each_answer_type_in_both_languages(expected, question):
    assert classify(question).answer_type == expected


def test_every_type_has_cases_in_english_and_spanish():
    spanish = {t for t, q in CASES if q.startswith("¿")}
    english = {t for t, q in CASES if not q.startswith("¿")}
    assert spanish == english == set(ANSWER_TYPES)


def test_the_earliest_cue_wins_and_a_joined_typed_clause_beats_yes_no():
    assert classify("Who takes charge when foreigners are caught in an emergency?").answer_type == "person_org"
    assert classify("Is there support for abused women, and who runs it?").answer_type == "person_org"
    assert classify("Has the city studied how many workers its employers need?").answer_type == "yes_no"
    assert classify("If a borrower loses their job, for how long can payments be deferred?").answer_type == "quantity"


@pytest.mark.parametrize("question", [
    "What overall score did Mexico City get compared with Bogotá?",
    "Which state hosts more foreign-born residents than Mexico City?",
    "¿Recibe la ciudad más migrantes que Monterrey?",
])
def test_comparative_questions(question):
    assert classify(question).comparative


def test_plain_questions_are_not_comparative_and_typed_flags_follow_the_type():
    kind = classify("How many shelters did the city open?")
    assert not kind.comparative and kind.typed
    assert not classify("What does the profile say about shelters?").typed
    assert TYPED <= set(ANSWER_TYPES)


@pytest.mark.parametrize("measure,question", [
    ("share", "What percentage of the repatriated were women?"),
    ("share", "¿Qué porcentaje del presupuesto recibe la secretaría?"),
    ("share", "What slice of the budget goes to the labour ministry?"),
    ("frequency", "How often must the assembly meet?"),
    ("frequency", "¿Con qué periodicidad sesiona el Consejo?"),
    ("duration", "How long do I have to file an appeal?"),
    ("duration", "¿Cuál es el plazo para presentar la solicitud?"),
    ("duration", "How many days does the ministry have to decide?"),
    ("count", "How many shelters did the city open?"),
    ("count", "¿Cuántas personas fueron repatriadas?"),
])
def test_quantity_questions_say_what_they_measure(measure, question):
    kind = classify(question)
    assert kind.answer_type == "quantity" and kind.measure == measure


def test_only_quantity_questions_carry_a_measure():
    assert classify("When was the register set up?").measure == ""
    assert classify("Which body runs the shelters?").measure == ""


@pytest.mark.parametrize("expected,question", [
    ("quantity", "How quickly must the ministry answer the request?"),
    ("quantity", "Within what distance of the coast is land ownership restricted?"),
    ("quantity", "¿Qué edades deben tener los participantes del programa?"),
    ("quantity", "Is there a time limit for filing a complaint?"),
    ("quantity", "¿En qué plazo debe resolverse la solicitud?"),
    ("date", "During which years did the federal programme run?"),
    ("date", "¿En qué años se realizó la encuesta?"),
    ("person_org", "¿Qué subsecretaría elabora la política migratoria?"),
    ("person_org", "¿A través de qué instancia se coordinan las oficinas estatales?"),
    ("law_article", "¿Dónde define la Ley de Vivienda qué es una vivienda digna?"),
    ("law_article", "Where does the Migration Law list the rights of detained migrants?"),
    ("place", "Where do the shelters operate?"),
    # "when" inside a clause joins clauses and does not ask for a date
    ("description", "What are a worker's obligations when renting a home through the housing fund?"),
    ("description", "¿Qué obligaciones tiene el trabajador cuando renta una vivienda?"),
    ("person_org", "Who decides when a migrant is detained?"),
    ("date", "When was the housing law published?"),
    ("date", "¿Y cuándo se creó el consejo?"),
])
def test_deadline_distance_age_range_where_in_a_law_and_when_cues(expected, question):
    assert classify(question).answer_type == expected


@pytest.mark.parametrize("expected,measure,question", [
    ("quantity", "duration", "When a notary learns of the case, how quickly must they tell the ministry?"),
    ("quantity", "count", "Si una persona pierde su empleo, ¿cuántas prórrogas puede pedir?"),
    ("yes_no", "", "If I lose my job, can my payments be deferred?"),
    ("date", "", "When was the housing law published?"),
])
def test_a_leading_when_or_if_clause_is_read_past(expected, measure, question):
    kind = classify(question)
    assert (kind.answer_type, kind.measure) == (expected, measure)


@pytest.mark.parametrize("counted,question", [
    ("officers", "How many National Migration Institute officers work at the Mexico City office?"),
    ("applications", "How many asylum applications did the commission receive?"),
    ("people", "How many people moved to the capital?"),
    ("caravanas", "¿Cuántas caravanas migrantes llegaron a la ciudad?"),
    ("personas", "¿Qué porcentaje de las personas migrantes son mujeres?"),
    ("poblacion", "¿Qué porcentaje de la población nació en el extranjero?"),
    ("", "How many days does the ministry have to decide?"),  # a duration: the unit says it
    ("", "When was the register set up?"),
])
def test_count_and_share_questions_name_what_they_count(counted, question):
    assert classify(question).counted == counted


@pytest.mark.parametrize("unit,question", [
    ("hour", "How many hours of training per year do the officers receive?"),
    ("day", "¿En cuántos días hábiles debe resolver la Comisión?"),
    ("day", "How many working days does the commission have to decide?"),
    ("year", "¿Cuántos años de residencia se exigen para naturalizarse?"),
    ("", "How long can a visitor stay each year?"),  # no unit asked: the year is context
    ("", "¿Cuántos jóvenes participaron en el programa?"),
])
def test_count_and_duration_questions_name_the_unit_of_time_they_count_in(unit, question):
    assert classify(question).unit == unit


@pytest.mark.parametrize("person,question", [
    (True, "What is the name of the current head of the housing institute?"),
    (True, "Who is the current president of the city's human rights commission?"),
    (True, "¿Quién es la titular de la Secretaría de las Mujeres?"),
    (False, "Who runs the shelters?"),
    (False, "Which body chairs the commission?"),
    (False, "How many heads of office sit on the council?"),
])
def test_who_holds_a_post_asks_for_a_person(person, question):
    assert classify(question).person is person


@pytest.mark.parametrize("expected,question", [
    ("quantity", "What minimum age must a judge have?"),
    ("quantity", "What late-payment rate applies to unpaid contributions?"),
    ("quantity", "What qualified majority does the council need to approve a reform?"),
    ("quantity", "Which poverty threshold does the programme use?"),
    ("quantity", "¿Qué vigencia tiene la tarjeta de residente temporal?"),
    ("quantity", "¿Con qué puntuación se calificó la dimensión de alianzas?"),
    ("quantity", "¿Qué plazos tiene la autoridad para responder una queja?"),
    ("money", "¿Cuál es el límite de gastos para una precampaña?"),
    ("money", "What budget does the programme receive each year?"),
    ("description", "What kind of support does the shelter give?"),
    ("list", "What rights do asylum seekers have?"),
])
def test_a_measure_noun_after_what_asks_for_a_figure(expected, question):
    assert classify(question).answer_type == expected


@pytest.mark.parametrize("within,measure,question", [
    ("money", "", "¿Qué leyes fijan cuánto se paga por una carta de naturalización?"),
    ("quantity", "frequency", "¿Qué leyes dicen cuántas veces al año sesiona el consejo?"),
    ("quantity", "share", "Which laws reserve a minimum percentage of the budget for rural housing?"),
    ("quantity", "duration", "Which laws set the maximum duration of a temporary visitor permit?"),
    ("quantity", "count", "Which laws say how many members sit on the national council?"),
    (None, "", "Which laws guarantee migrants access to education?"),
    (None, "", "¿Qué leyes protegen a las personas refugiadas?"),
])
def test_a_list_question_asking_each_law_for_a_figure_reads_that_figure(within, measure, question):
    kind = classify(question)
    assert kind.answer_type == "list" and not kind.typed  # still answered as a list of instruments
    assert (kind.within.answer_type if kind.within else None) == within
    assert kind.reading.measure == measure
    assert kind.reading.answer_type == (within or "list")  # the judge reads the figure, else the list


@pytest.mark.parametrize("exact,question", [
    (True, "On what date did the reform come into force?"),
    (True, "¿En qué fecha exacta se firmó el convenio?"),
    (True, "¿Qué día se instaló el consejo?"),
    (False, "In what year was the council created?"),
    (False, "¿Cuándo se creó el consejo?"),
])
def test_a_date_question_asking_for_the_day_wants_more_than_a_year(exact, question):
    kind = classify(question)
    assert kind.answer_type == "date" and kind.exact is exact
