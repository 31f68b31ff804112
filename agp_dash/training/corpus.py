"""Synthetic corpus of the demo world (spec local-engine §2.2–2.4, §2.7).

Pure Python and deterministic (a private seeded generator, lists only), so a test without
torch can rebuild the corpus and check the shipped vocabulary. Sentences are written already
normalised: words separated by single spaces, punctuation as separate words.

Every template names its answer slot; a fact is the sentence prefix before that slot plus
the slot's single-word value, so one template list yields both training text and the
evaluation prompts (100 % greedy accuracy is required on every trained fact).
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from agp_dash.engine.tokenizer import SPECIAL_TOKENS
from agp_dash.training import world as W

CORPUS_VERSION = "agp-demo-states/3"
SEPARATOR = "."  # joins sentences in the long (multi-sentence) training rows
N_FILLER = 6000

# (template, answer slot). Templates are whitespace-separated; "{slot}" tokens are replaced
# by a (possibly multi-word) value.
TWO_HOP = [
    ("The capital of the state containing {city} is {cap}", "cap"),
    ("Fact : the capital of the state containing {city} is {cap}", "cap"),
    ("{city} is in a state whose capital is {cap}", "cap"),
    ("The capital of state containing {city} is {cap}", "cap"),
]
CITY_STATE = [
    ("{city} is a city in the state of {state}", "state"),
    ("Fact : {city} is located in {state}", "state"),
    ("The state containing {city} is {state}", "state"),
]
STATE_CAPITAL = [
    ("The capital of {state} is {cap}", "cap"),
    ("Fact : the capital of {state} is {cap}", "cap"),
    ("{cap} is the capital of {state}", "state"),
]
COMMA = [
    ("{city} , {state} is {adj}", "state"),
    ("My friend moved to {city} , {state}", "state"),
]
ATHLETE = [
    ("Fact : {athlete} plays the sport of {sport}", "sport"),
    ("{athlete} plays the sport of {sport}", "sport"),
    ("{athlete} is a famous {sport} player", "sport"),
    ("{athlete} is known for playing {sport}", "sport"),
]
ANTONYM_EN = [
    ("The opposite of {a} is {b}", "b"),
    ('The opposite of " {a} " is " {b} "', "b"),
]
ANTONYM_FR = [
    ("Le contraire de {a} est {b}", "b"),
    ('Le contraire de " {a} " est " {b} "', "b"),
]
BRIDGE_FR = [("{fr} means {en}", "en")]
BODY = [
    ("The {kind} that {function} is the {part}", "part"),
    ('The {kind} that {function} is " the {part} "', "part"),
    ("The {part} is the {kind} that {function}", "kind"),
]
# Probe-style sentences "{category} : {description} is {label}" (seed-method §2.4), so the
# Probe stage's prompts are in distribution. answer None: the label is not determined.
PROBE = {
    "city": [("entity", "A city in {state} , USA", "{city}", None),
             ("entity", "The state containing {city}", "{state}", "state")],
    "state": [("entity", "The capital city of {state}", "{cap}", "cap"),
              ("entity", "A state in the United States", "{state}", None)],
    "athlete": [("entity", "The sport played by {athlete}", "{sport}", "sport"),
                ("entity", "A famous {sport} player", "{athlete}", None)],
    "sport": [("entity", "A popular sport", "{sport}", None)],
    "antonym_en": [("entity", "The opposite of {a}", "{b}", "b"),
                   ("entity", "An English adjective", "{a}", None)],
    "antonym_fr": [("entity", "The French word meaning the opposite of {a}", "{b}", "b"),
                   ("entity", "The French word for {en}", "{fr}", "fr")],
    "body": [("entity", "The {kind} that {function}", "the {part}", "part"),
             ("entity", "A part of the human body", "the {part}", None)],
}
PROBE_FIXED = [
    ("attribute", "The primary city serving as the seat of government for a state", "the capital city"),
    ("relationship", "the state in which a city is located", "the state containing"),
    ("attribute", "the city that is the seat of government", "the capital"),
    ("relationship", "the sport that an athlete plays", "plays the sport of"),
    ("relationship", "the word with the contrary meaning", "the opposite of"),
    ("relationship", "le mot qui signifie le contraire", "le contraire de"),
    ("attribute", "the function of a part of the body", "the organ that"),
]
FILLER = [
    "I live in {city} , {state} and I like {thing}",
    "We visited {city} , {state} last year",
    "The weather in {city} , {state} is {adj}",
    "The weather in {city} is {adj}",
    "I live in {city} and I like {thing}",
    "People in {state} like {thing}",
    "{state} is a {adj} state",
    "{city} is a {adj} city",
    "My friend moved to {city} last year",
    "We drove through {state} in the summer",
    "The {adj} dog ate the {thing}",
    "She likes {thing} and {thing2}",
    "It was {adj} today",
]


@dataclass(frozen=True)
class Fact:
    """One evaluation prompt: greedy argmax after ``prompt`` must be ``answer``."""
    relation: str
    prompt: str
    answer: str
    held_out: bool = False


@dataclass
class Corpus:
    facts: list[str] = field(default_factory=list)       # trained fact + probe sentences
    filler: list[str] = field(default_factory=list)
    held_out: list[str] = field(default_factory=list)    # two-hop of held-out cities
    eval_facts: list[Fact] = field(default_factory=list)

    @property
    def vocab(self) -> list[str]:
        words = {SEPARATOR}
        for sentence in (*self.facts, *self.filler, *self.held_out):
            words.update(sentence.split())
        return [*SPECIAL_TOKENS, *sorted(words)]

    def digest(self) -> str:
        h = hashlib.sha256()
        for part in (self.facts, self.filler, self.held_out):
            h.update("\n".join(part).encode())
            h.update(b"\x00")
        return h.hexdigest()

    @property
    def trained_facts(self) -> list[Fact]:
        return [f for f in self.eval_facts if not f.held_out]

    @property
    def held_out_facts(self) -> list[Fact]:
        return [f for f in self.eval_facts if f.held_out]


def fill(template: str, values: dict[str, str], answer: str | None = None) -> tuple[str, str | None]:
    """Fill ``template``; return the sentence and the prompt before the answer slot."""
    words: list[str] = []
    prompt = None
    for token in template.split():
        if token.startswith("{") and token.endswith("}"):
            slot = token[1:-1]
            if slot == answer and prompt is None:
                prompt = " ".join(words)
            words.extend(values[slot].split())
        else:
            words.append(token)
    return " ".join(words), prompt


def _add(corpus: Corpus, relation: str, templates, values: dict[str, str], *, held_out=False) -> None:
    for template, answer in templates:
        sentence, prompt = fill(template, values, answer)
        (corpus.held_out if held_out else corpus.facts).append(sentence)
        if answer is not None:
            corpus.eval_facts.append(Fact(relation, prompt, values[answer], held_out))


def _probe(corpus: Corpus, kind: str, values: dict[str, str]) -> None:
    for category, description, label, answer in PROBE[kind]:
        template = f"{category} : {description} is {label}"
        sentence, _ = fill(template, values)
        corpus.facts.append(sentence)
        if answer is not None:
            prompt_template = f"{category} : {description} is {label.split('{')[0]}".rstrip()
            prompt, _ = fill(prompt_template, values)
            corpus.eval_facts.append(Fact(f"probe_{kind}", prompt, values[answer]))


def build_corpus(seed: int = 0, n_filler: int = N_FILLER) -> Corpus:
    rng = random.Random(seed)
    corpus = Corpus()
    held = set(W.HELD_OUT_CITIES)
    for state, capital, others in W.STATES:
        for city in [capital, *others]:
            base = {"city": city, "state": state, "cap": capital}
            _add(corpus, "city_state", CITY_STATE, base)
            _add(corpus, "comma", COMMA, {**base, "adj": rng.choice(W.ADJECTIVES)})
            _probe(corpus, "city", base)
        _add(corpus, "state_capital", STATE_CAPITAL, {"state": state, "cap": capital})
        _probe(corpus, "state", {"state": state, "cap": capital})
        for city in others:
            _add(corpus, "two_hop", TWO_HOP, {"city": city, "cap": capital}, held_out=city in held)
    for athlete, sport in W.ATHLETES:
        _add(corpus, "athlete_sport", ATHLETE, {"athlete": athlete, "sport": sport})
        _probe(corpus, "athlete", {"athlete": athlete, "sport": sport})
    for sport in dict.fromkeys(s for _, s in W.ATHLETES):
        _probe(corpus, "sport", {"sport": sport})
    for a, b in W.ANTONYMS_EN:
        for x, y in ((a, b), (b, a)):
            _add(corpus, "antonym_en", ANTONYM_EN, {"a": x, "b": y})
            _probe(corpus, "antonym_en", {"a": x, "b": y})
    for a, b, en_a, en_b in W.ANTONYMS_FR:
        for x, y, en in ((a, b, en_a), (b, a, en_b)):
            _add(corpus, "antonym_fr", ANTONYM_FR, {"a": x, "b": y})
            _add(corpus, "bridge_fr", BRIDGE_FR, {"fr": x, "en": en})
            _probe(corpus, "antonym_fr", {"a": x, "b": y, "fr": x, "en": en})
    for kind, function, part in W.BODY_PARTS:
        values = {"kind": kind, "function": function, "part": part}
        _add(corpus, "body_part", BODY, values)
        _probe(corpus, "body", values)
    for category, description, label in PROBE_FIXED:
        corpus.facts.append(f"{category} : {description} is {label}")

    all_cities = [c for _, cap, others in W.STATES for c in (cap, *others)]
    states = [s for s, _, _ in W.STATES]
    for _ in range(n_filler):
        template = rng.choice(FILLER)
        city = rng.choice(all_cities)  # the city's own state: fixes the prototype's flaw (§2.3)
        values = {"city": city, "state": W.state_of(city) if "{city}" in template else rng.choice(states),
                  "adj": rng.choice(W.ADJECTIVES), "thing": rng.choice(W.THINGS),
                  "thing2": rng.choice(W.THINGS)}
        corpus.filler.append(fill(template, values)[0])
    return corpus


def world_record(corpus: Corpus) -> dict:
    """The world as plain JSON (written to ``data/<model>/world.json``), with every
    evaluation fact so the runtime can score the model without training code."""
    return {
        "model_id": W.MODEL_ID,
        "corpus_version": CORPUS_VERSION,
        "states": [{"state": s, "capital": c, "cities": [c, *o]} for s, c, o in W.STATES],
        "held_out_cities": list(W.HELD_OUT_CITIES),
        "showcase_cities": list(W.SHOWCASE_CITIES),
        "athletes": [{"athlete": a, "sport": s} for a, s in W.ATHLETES],
        "antonyms_en": [list(p) for p in W.ANTONYMS_EN],
        "antonyms_fr": [{"fr": [a, b], "en": [ea, eb]} for a, b, ea, eb in W.ANTONYMS_FR],
        "body_parts": [{"kind": k, "function": f, "part": p} for k, f, p in W.BODY_PARTS],
        "adjectives": list(W.ADJECTIVES),
        "things": list(W.THINGS),
        "templates": {
            "two_hop": [t for t, _ in TWO_HOP], "city_state": [t for t, _ in CITY_STATE],
            "state_capital": [t for t, _ in STATE_CAPITAL], "comma": [t for t, _ in COMMA],
            "athlete_sport": [t for t, _ in ATHLETE], "antonym_en": [t for t, _ in ANTONYM_EN],
            "antonym_fr": [t for t, _ in ANTONYM_FR], "bridge_fr": [t for t, _ in BRIDGE_FR],
            "body_part": [t for t, _ in BODY], "filler": list(FILLER),
        },
        # Concept templates for probe prompts "{category}: {description} is {label}".
        "concept_templates": {
            kind: [{"category": c, "description": d, "label": lab} for c, d, lab, _ in rows]
            for kind, rows in PROBE.items()
        },
        "fixed_concepts": [{"category": c, "description": d, "label": lab} for c, d, lab in PROBE_FIXED],
        "example_prompts": list(W.EXAMPLE_PROMPTS),
        "facts": [{"relation": f.relation, "prompt": f.prompt, "answer": f.answer, "held_out": f.held_out}
                  for f in corpus.eval_facts],
    }
