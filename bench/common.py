"""Shared bench helpers: settings, the question set, percentiles and the results table."""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# ~30 varied questions: English and Spanish, profile and law, broad and specific, one refusal.
ASK_QUESTIONS = [
    "Which institution assists migrants in Mexico City?",
    "Do migrants have access to health services in Mexico City?",
    "Can migrant children enrol in public schools regardless of their migration status?",
    "Does Mexico City have a migration strategy?",
    "How does the city government cooperate with civil society organizations on migration?",
    "Are there programmes to integrate returning Mexican migrants?",
    "What data on migration does Mexico City collect and publish?",
    "How are victims of human trafficking identified and protected?",
    "Is there a formal mechanism for consultation with the diaspora?",
    "What emergency measures exist for migrants during crises such as COVID-19?",
    "Can foreigners open bank accounts with a humanitarian visa?",
    "What does the profile say about labour market access for migrants?",
    "Which laws guarantee migrants access to education?",
    "Does Mexico City recognize foreign academic degrees?",
    "What is the population of Buenos Aires?",
    "¿Qué derechos tienen los solicitantes de la condición de refugiado?",
    "¿Quién otorga la protección complementaria?",
    "¿Qué dice la Ley de Migración sobre el acceso a la justicia de los migrantes?",
    "¿Pueden los migrantes recibir atención médica de urgencia sin importar su situación migratoria?",
    "¿Qué autoridad resuelve las solicitudes de asilo político?",
    "¿Cuánto tiempo puede durar la presentación de un extranjero en una estación migratoria?",
    "¿Qué es la tarjeta de visitante por razones humanitarias?",
    "¿Qué obligaciones tiene el Instituto Nacional de Migración?",
    "¿Qué establece la Constitución sobre la libertad de tránsito?",
    "¿Tienen derecho a la educación las niñas y niños migrantes?",
    "¿Qué sanciones prevé la ley para el tráfico de personas?",
    "¿Qué es la Secretaría de Inclusión y Bienestar Social?",
    "¿Cómo se garantiza el principio de no devolución?",
    "¿Qué requisitos hay para obtener la residencia permanente?",
    "¿Qué dice la Ley General de Salud sobre los servicios para extranjeros?",
]


@dataclass
class Row:
    """One line of the results table."""

    section: str
    measure: str
    value: str
    goal: str = ""
    status: str = ""
    note: str = ""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (values in any unit)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| Section | Measure | Value | Goal | Status | Notes |", "|---|---|---|---|---|---|"]
    for row in rows:
        cells = [row.section, row.measure, row.value, row.goal, row.status, row.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    """One line describing the machine the figures come from."""
    import platform

    import psutil

    load = os.getloadavg()
    return (f"{os.cpu_count()} cores (os.cpu_count()), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"load average at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
