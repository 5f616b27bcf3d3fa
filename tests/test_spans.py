"""Answer spans of each type inside a sentence (fast tier: hand-made sentences)."""

from __future__ import annotations

import pytest

from assistant.answer.spans import comparisons, find_spans, measure_of, time_unit


def texts(sentence: str, answer_type: str, question: str = "") -> list[str]:
    found = find_spans(sentence, answer_type, question)
    assert all(sentence[f.start:f.end] == f.text for f in found)  # verbatim offsets
    return [f.text for f in found]


@pytest.mark.parametrize("sentence,expected", [
    ("La Secretaría dispondrá de 45 días hábiles para resolver.", "45 días hábiles"),
    ("The city opened 12 shelters last year.", "12 shelters"),
    ("More than 90 per cent of the revenue is federal.", "More than 90 per cent"),
    ("Venezuela accounts for 14% of the total.", "14%"),
    ("The balance was 3.3 million persons.", "3.3 million persons"),
    ("La Comisión sesionará una vez por trimestre.", "una vez por trimestre"),
    ("El plazo no excederá de cuatro años.", "cuatro años"),
    ("The Local MGI comprises approximately 80 indicators.", "approximately 80 indicators"),
    ("Four in every 10 went to the United States.", "Four in every 10"),
    ("Votaron 3 de cada 10 personas.", "3 de cada 10"),
])
def test_quantities_with_their_units(sentence, expected):
    assert any(expected in found for found in texts(sentence, "quantity"))


def test_a_proportion_is_one_span_and_each_span_says_what_it_measures():
    assert texts("Four in every 10 went abroad and 43,329 persons left.", "quantity") == [
        "Four in every 10", "43,329 persons left"]  # the "10" is not a span of its own
    assert [measure_of(t) for t in ("11.3%", "more than 90 per cent", "4 in every 10", "dos veces al año",
                                    "hasta en dos ocasiones", "30 días hábiles", "four years",
                                    "225,955 Mexicans repatriated")] == [
        "share", "share", "share", "frequency", "frequency", "duration", "duration", "count"]
    assert [time_unit(t) for t in ("30 días hábiles", "four years", "seis meses", "48 horas", "two quarters",
                                   "43,329 persons")] == ["day", "year", "month", "hour", "quarter", ""]


def test_quantities_skip_years_articles_codes_and_numbers_the_question_holds():
    sentence = "Under artículo 24, in 2021 during COVID-19 the city counted 557,181 residents."
    assert texts(sentence, "quantity") == ["557,181 residents"]
    assert texts("In 2021, 557,181 residents left.", "quantity", "Did 557,181 residents leave in 2021?") == []
    assert texts("Párrafo reformado DOF 19-05-2017", "quantity") == []


def test_dates_and_years_not_in_the_question():
    assert texts("Desde el 15 de marzo de 2017 la ciudad es santuario.", "date") == ["15 de marzo de 2017"]
    assert texts("The council was set up in March 2020.", "date") == ["March 2020"]
    assert texts("In 2020 the census counted people.", "date", "What happened in 2020?") == []


@pytest.mark.parametrize("sentence,expected", [
    ("Each beneficiary received 5,600 Mexican pesos.", "5,600 Mexican pesos"),
    ("Se impondrá multa de quinientos a dos mil salarios mínimos.", "multa de quinientos a dos mil salarios mínimos"),
    ("The fee is $1,250 for the card.", "$1,250"),
    ("Multa de cien a quinientas veces la Unidad de Medida y Actualización.", None),
    ("A loan of up to 300 UMA can be granted.", "300 UMA"),
])
def test_money_amounts(sentence, expected):
    found = texts(sentence, "money")
    assert (expected in found) if expected else found


def test_money_needs_a_currency_not_just_a_number():
    assert texts("The city opened 12 shelters.", "money") == []


def test_article_labels():
    assert texts("De conformidad con el artículo 7o y los artículos 8 y 9.", "law_article") == [
        "artículo 7o", "artículos 8 y 9"]
    assert texts("Article 11 of the Constitution protects migrants.", "law_article") == ["Article 11"]


def test_names_of_bodies_and_places_not_in_the_question():
    sentence = "The Mexican Commission for Refugee Assistance (COMAR) handles asylum in Mexico City."
    assert texts(sentence, "person_org", "Which agency handles asylum in Mexico City?") == [
        "Mexican Commission for Refugee Assistance (COMAR)"]
    assert texts("The survey ran in Oaxaca and Chiapas.", "place", "Where did the survey run?") == ["Oaxaca and Chiapas"]
    assert texts("Mexico City is large.", "place", "Is Mexico City large?") == []


def test_comparisons():
    assert comparisons("The city hosts more migrants than any other state.")
    assert comparisons("La población es mayor que en 2010.")
    assert not comparisons("The city hosts migrants.")


def test_types_without_spans_find_none():
    assert find_spans("The city opened 12 shelters.", "description") == []


def test_a_name_is_never_a_law_s_title_a_fraccion_numeral_or_a_list_item_s_first_word():
    from assistant.answer.spans import names

    law = names("The Ley Federal de Transparencia and the Migration Law oblige the Mexican Commission for "
                "Refugee Assistance (COMAR) to publish data.", "Which agency publishes the data?")
    assert [f.text for f in law] == ["Mexican Commission for Refugee Assistance (COMAR)"]
    listed = names("VIII. Coordinar los servicios con la Secretaría de Inclusión y Bienestar Social (SIBISO);",
                   "¿Qué dependencia coordina los servicios?")
    assert [f.text for f in listed] == ["Secretaría de Inclusión y Bienestar Social (SIBISO)"]


def test_a_gloss_in_parentheses_is_not_a_second_name():
    sentence = ("The body is the Mexican Commission for Refugee Assistance (Comisión Mexicana de Ayuda a "
                "Refugiados, COMAR), based in Mexico City.")
    assert texts(sentence, "person_org", "Which federal agency deals with asylum?") == [
        "Mexican Commission for Refugee Assistance", "COMAR", "Mexico City"]
    assert "Instituto Nacional" in " ".join(texts("La sede (Instituto Nacional de Migración) abre.", "person_org"))


def test_a_list_item_s_number_a_figure_s_label_a_year_and_a_date_are_not_quantities():
    assert texts("5. El Gobierno de la Ciudad promoverá 3 programas.", "quantity") == ["3 programas"]
    assert texts("2) Las autoridades atenderán a 40 personas.", "quantity") == ["40 personas"]
    assert texts("Most came from Venezuela (see Figure 2).", "quantity") == []
    assert texts("Up to 2021, the Ministry also provided updates.", "quantity") == []
    assert texts("Publicada el 29 de diciembre de 1981 con 12 artículos transitorios.", "quantity") == [
        "12 artículos transitorios"]


def test_year_ranges_are_one_date_span():
    assert texts("The programme ran between 2014 and 2018 in the capital.", "date") == ["between 2014 and 2018"]
    assert texts("Internal migration (2015–2020) rose.", "date") == ["2015–2020"]
    assert texts("Se aplicó entre 2019 y 2021.", "date") == ["entre 2019 y 2021"]


def test_a_legal_division_word_is_never_a_name():
    assert texts("Fracción reformada por la Secretaría de Gobernación.", "person_org") == ["Secretaría de Gobernación"]


def test_an_amount_of_money_is_not_a_count():
    sentence = "Se impondrá multa de cien a quinientos días de salario mínimo a 3 empresas."
    assert texts(sentence, "quantity") == ["3 empresas"]
    assert texts(sentence, "money") == ["multa de cien a quinientos días de salario mínimo"]


def test_un_is_a_number_only_before_a_unit_of_time_or_inside_an_amount():
    assert texts("Se impondrá multa de cien a un mil días de salario mínimo.", "money") == [
        "multa de cien a un mil días de salario mínimo"]
    assert texts("La queja podrá presentarse dentro de un año.", "quantity") == ["un año"]
    assert texts("Un extranjero podrá solicitar 2 visas.", "quantity") == ["2 visas"]


def test_a_range_is_one_span_with_its_unit():
    assert texts("Meant for young people aged 18 to 29 years, including migrants.", "quantity") == ["18 to 29 years"]
    assert texts("Estará integrada por no menos de diez ni más de veinte personas.", "quantity") == [
        "menos de diez ni más de veinte personas"]
    assert texts("Between 14% and 20% were women.", "quantity") == ["14%", "20%"]  # two shares, not a range
    assert texts("De 2019 a 2021 hubo 5 casos.", "quantity") == ["5 casos"]  # years are no range of figures


def test_since_belongs_to_a_year_and_a_publication_reference_is_no_name():
    assert texts("Since 2017, Mexico City has been a sanctuary city.", "date") == ["Since 2017"]
    assert texts("Párrafo reformado DOF 19-05-2017 por la Secretaría de Salud.", "person_org") == ["Secretaría de Salud"]


def test_a_web_address_or_reference_code_holds_no_quantity_nor_date():
    """Footnotes cite addresses and document codes; their digits answer nothing."""
    assert texts("Available at www.gob.mx/salud/prensa/079-personas-migrantes-en-territorio", "quantity") == []
    assert texts("IOM Council, Migration Governance Framework, C/106/40 (4 November 2015).", "quantity") == []
    assert texts("Véase https://coronavirus.gob.mx/wp-content/uploads/2020/05/Plan.pdf", "date") == []
    # the same figures outside an address still count
    assert texts("Se vacunaron 79 personas migrantes en 2021.", "quantity") == ["79 personas migrantes"]
    assert texts("Se publicó en mayo de 2020 (véase www.dof.gob.mx).", "date") == ["mayo de 2020"]


def test_a_later_label_in_a_list_of_articles_is_no_quantity():
    assert texts("los casos a los que hacen referencia los artículos 35 Bis y 70 de la presente Ley", "quantity") == []
    assert texts("under articles 12, 13 and 14 of the law, 45 persons were heard", "quantity") == ["45 persons"]
    assert texts("Se atendieron 30 personas y 70 familias.", "quantity") == ["30 personas", "70 familias"]


def test_an_article_s_suffix_number_is_part_of_its_label_not_a_quantity():
    """"Artículo 157 Bis 6": the 6 numbers the article, it counts nothing."""
    assert texts("Artículo 157 Bis 6.- Las dependencias deberán participar con recursos humanos.", "quantity") == []
    assert texts("Artículo 389 Bis 2.- El certificado será expedido por 3 profesionales.", "quantity") == [
        "3 profesionales"]
    assert texts("Conforme al Artículo 77 Bis 1, fracción II, toda persona tiene derecho.", "law_article") == [
        "Artículo 77 Bis 1"]
    assert texts("Article 30 Quintus and article 4 apply.", "law_article") == ["Article 30 Quintus", "article 4"]


def test_a_decree_s_heading_in_capitals_is_no_name():
    assert texts("DECRETO por el que se reforma el reglamento interior.", "person_org", "¿Qué organismo?") == []
    assert texts("La COMAR recibe las solicitudes.", "person_org", "¿Qué organismo?") == ["COMAR"]


def test_a_unit_ends_before_a_participle_or_a_word_placing_the_time():
    assert texts("dentro del término de 30 días hábiles contados a partir del ingreso", "quantity") == ["30 días hábiles"]
    assert texts("ha residido durante los últimos cinco años inmediatos anteriores", "quantity") == ["cinco años"]
    assert texts("The index has approximately 80 indicators grouped in six areas.", "quantity")[0] == \
        "approximately 80 indicators"
    assert texts("Se atendieron 79 personas migrantes.", "quantity") == ["79 personas migrantes"]  # a unit's own word


def test_a_linking_word_is_part_of_a_unit_only_before_one_and_a_day_of_the_month_is_no_quantity():
    assert texts("Se reformó el artículo 251 y 146 de la Ley Federal del Trabajo.", "quantity") == ["146"]
    assert texts("equivaldrá al tres por ciento del monto total", "quantity") == ["tres por ciento"]
    assert texts("cobrará 30 por hora trabajada", "quantity") == ["30 por hora"]
    assert texts("a más tardar el día 8 del mes de septiembre", "quantity") == []
    assert texts("en un plazo de 8 días", "quantity") == ["8 días"]


def test_a_wage_is_an_amount_only_as_minimum_wages_and_a_day_is_more_than_a_year():
    from assistant.answer.spans import has_day

    assert texts("recibirá un apoyo equivalente a un salario mínimo general vigente", "money") == [
        "un salario mínimo general vigente"]
    assert texts("garantizarán a sus trabajadores un salario remunerador", "money") == []
    assert [has_day(t) for t in ("2 January 2020", "5 de octubre", "20/05/2021", "March 2022", "2019")] == [
        True, True, True, False, False]
