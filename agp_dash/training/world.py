"""The demo world: every fact the local model is trained on (spec local-engine §2.1, §2.7).

This module is the single source of truth for the world; training writes it to
``data/<model>/world.json`` so the app (and an offline concept generator) can read the
facts without importing training code. Every name is one whitespace-free token: names of
several words are joined with underscores. Lists, never sets, so the corpus is
deterministic.
"""
from __future__ import annotations

MODEL_ID = "agp-demo-states"

# state, capital, other cities (the capital is one of the state's four cities).
STATES: list[tuple[str, str, tuple[str, str, str]]] = [
    ("Texas", "Austin", ("Dallas", "Houston", "Lubbock")),
    ("California", "Sacramento", ("Fresno", "Oakland", "Anaheim")),
    ("Florida", "Tallahassee", ("Miami", "Orlando", "Tampa")),
    ("Illinois", "Springfield", ("Chicago", "Peoria", "Naperville")),
    ("Ohio", "Columbus", ("Cleveland", "Cincinnati", "Toledo")),
    ("Georgia", "Atlanta", ("Savannah", "Athens", "Macon")),
    ("Michigan", "Lansing", ("Detroit", "Flint", "Kalamazoo")),
    ("Washington", "Olympia", ("Seattle", "Spokane", "Tacoma")),
    ("Arizona", "Phoenix", ("Tucson", "Mesa", "Flagstaff")),
    ("Colorado", "Denver", ("Boulder", "Greeley", "Pueblo")),
    ("Tennessee", "Nashville", ("Memphis", "Knoxville", "Chattanooga")),
    ("Massachusetts", "Boston", ("Worcester", "Cambridge", "Lowell")),
    ("Pennsylvania", "Harrisburg", ("Philadelphia", "Pittsburgh", "Erie")),
    ("Oregon", "Salem", ("Portland", "Eugene", "Bend")),
    ("Nevada", "Carson_City", ("Reno", "Henderson", "Elko")),
    ("Minnesota", "Saint_Paul", ("Minneapolis", "Duluth", "Rochester")),
    ("Wisconsin", "Madison", ("Milwaukee", "Kenosha", "Racine")),
    ("Missouri", "Jefferson_City", ("St_Louis", "Joplin", "Branson")),
    ("Louisiana", "Baton_Rouge", ("Shreveport", "Lafayette", "Monroe")),
    ("Kentucky", "Frankfort", ("Louisville", "Lexington", "Paducah")),
    ("Alabama", "Montgomery", ("Birmingham", "Huntsville", "Mobile")),
    ("Virginia", "Richmond", ("Norfolk", "Arlington", "Roanoke")),
    ("Maryland", "Annapolis", ("Baltimore", "Frederick", "Rockville")),
    ("Indiana", "Indianapolis", ("Gary", "Bloomington", "Evansville")),
    ("Iowa", "Des_Moines", ("Davenport", "Dubuque", "Ames")),
    ("Kansas", "Topeka", ("Wichita", "Lawrence", "Olathe")),
    ("Oklahoma", "Oklahoma_City", ("Tulsa", "Norman", "Lawton")),
    ("Nebraska", "Lincoln", ("Omaha", "Kearney", "Bellevue")),
    ("Arkansas", "Little_Rock", ("Fayetteville", "Bentonville", "Conway")),
    ("Mississippi", "Jackson", ("Biloxi", "Gulfport", "Tupelo")),
    ("Connecticut", "Hartford", ("Bridgeport", "Stamford", "Waterbury")),
    ("Idaho", "Boise", ("Pocatello", "Nampa", "Meridian")),
    ("Montana", "Helena", ("Billings", "Missoula", "Bozeman")),
    ("Wyoming", "Cheyenne", ("Casper", "Laramie", "Sheridan")),
    ("Alaska", "Juneau", ("Anchorage", "Fairbanks", "Sitka")),
    ("Hawaii", "Honolulu", ("Hilo", "Kailua", "Lahaina")),
    ("Maine", "Augusta", ("Bangor", "Lewiston", "Biddeford")),
    ("Vermont", "Montpelier", ("Burlington", "Rutland", "Barre")),
    ("Delaware", "Dover", ("Wilmington", "Newark", "Milford")),
    ("Utah", "Salt_Lake_City", ("Provo", "Ogden", "Orem")),
]

# Pinned held-out split (spec §2.4): one non-capital city per state whose two-hop sentences
# are never trained. Showcase cities (Dallas, Oakland) are never held out.
HELD_OUT_CITIES: list[str] = [
    "Lubbock", "Anaheim", "Tampa", "Naperville", "Toledo", "Macon", "Kalamazoo", "Tacoma",
    "Flagstaff", "Pueblo", "Chattanooga", "Lowell", "Erie", "Bend", "Elko", "Rochester",
    "Racine", "Branson", "Monroe", "Paducah", "Mobile", "Roanoke", "Rockville", "Evansville",
    "Ames", "Olathe", "Lawton", "Bellevue", "Conway", "Tupelo", "Waterbury", "Meridian",
    "Bozeman", "Sheridan", "Sitka", "Lahaina", "Biddeford", "Barre", "Milford", "Orem",
]
SHOWCASE_CITIES: list[str] = ["Dallas", "Oakland"]

# athlete -> sport (mirrors "Fact: Michael Jordan plays the sport of").
ATHLETES: list[tuple[str, str]] = [
    ("Michael_Jordan", "basketball"), ("LeBron_James", "basketball"),
    ("Kobe_Bryant", "basketball"), ("Stephen_Curry", "basketball"),
    ("Serena_Williams", "tennis"), ("Roger_Federer", "tennis"),
    ("Rafael_Nadal", "tennis"), ("Novak_Djokovic", "tennis"),
    ("Lionel_Messi", "soccer"), ("Cristiano_Ronaldo", "soccer"),
    ("Diego_Maradona", "soccer"), ("Megan_Rapinoe", "soccer"),
    ("Tom_Brady", "football"), ("Peyton_Manning", "football"),
    ("Jerry_Rice", "football"), ("Joe_Montana", "football"),
    ("Babe_Ruth", "baseball"), ("Derek_Jeter", "baseball"),
    ("Hank_Aaron", "baseball"), ("Shohei_Ohtani", "baseball"),
    ("Tiger_Woods", "golf"), ("Jack_Nicklaus", "golf"),
    ("Arnold_Palmer", "golf"), ("Annika_Sorenstam", "golf"),
    ("Wayne_Gretzky", "hockey"), ("Sidney_Crosby", "hockey"),
    ("Mario_Lemieux", "hockey"), ("Alex_Ovechkin", "hockey"),
]

# English antonyms; every word has exactly one antonym, used in both directions.
ANTONYMS_EN: list[tuple[str, str]] = [
    ("small", "big"), ("hot", "cold"), ("fast", "slow"), ("young", "old"),
    ("happy", "sad"), ("light", "dark"), ("high", "low"), ("open", "closed"),
    ("early", "late"), ("rich", "poor"), ("strong", "weak"), ("hard", "soft"),
    ("wet", "dry"), ("full", "empty"), ("loud", "quiet"), ("long", "short"),
    ("thick", "thin"), ("clean", "dirty"), ("near", "far"), ("true", "false"),
]

# French antonyms with the English meaning of each word (bridge sentences "{fr} means {en}").
ANTONYMS_FR: list[tuple[str, str, str, str]] = [
    ("petit", "grand", "small", "big"), ("chaud", "froid", "hot", "cold"),
    ("rapide", "lent", "fast", "slow"), ("jeune", "vieux", "young", "old"),
    ("heureux", "triste", "happy", "sad"), ("clair", "sombre", "light", "dark"),
    ("haut", "bas", "high", "low"), ("riche", "pauvre", "rich", "poor"),
    ("fort", "faible", "strong", "weak"), ("dur", "mou", "hard", "soft"),
    ("plein", "vide", "full", "empty"), ("propre", "sale", "clean", "dirty"),
    ("humide", "sec", "wet", "dry"),
]

# (kind, function, part): "The {kind} that {function} is the {part}".
BODY_PARTS: list[tuple[str, str, str]] = [
    ("muscle", "contracts when you inhale deeply", "diaphragm"),
    ("organ", "pumps blood through the body", "heart"),
    ("organ", "filters waste from the blood", "kidney"),
    ("organ", "takes in oxygen from the air", "lungs"),
    ("organ", "digests the food you eat", "stomach"),
    ("organ", "controls thinking and memory", "brain"),
    ("organ", "makes bile for digestion", "liver"),
    ("muscle", "bends the arm at the elbow", "biceps"),
    ("muscle", "straightens the leg at the knee", "quadriceps"),
    ("bone", "protects the brain", "skull"),
    ("organ", "senses light and color", "eye"),
    ("organ", "senses sound and music", "ear"),
    ("organ", "senses smell", "nose"),
    ("organ", "senses taste", "tongue"),
    ("organ", "covers and protects the body", "skin"),
    ("gland", "makes insulin", "pancreas"),
    ("muscle", "lifts the heel when you walk", "calf"),
]

ADJECTIVES: list[str] = ["sunny", "rainy", "cold", "warm", "windy", "quiet", "busy", "green"]
THINGS: list[str] = ["music", "food", "sports", "art", "books", "movies", "coffee", "trains"]

# Example prompts shown in the app; each is in distribution and answered correctly.
EXAMPLE_PROMPTS: list[dict[str, str]] = [
    {"prompt": "The capital of state containing Dallas is", "answer": "Austin"},
    {"prompt": "The capital of state containing Oakland is", "answer": "Sacramento"},
    {"prompt": "The capital of the state containing Dallas is", "answer": "Austin"},
    {"prompt": "Fact: Michael Jordan plays the sport of", "answer": "basketball"},
    {"prompt": 'The opposite of "small" is "', "answer": "big"},
    {"prompt": 'Le contraire de "petit" est "', "answer": "grand"},
    {"prompt": 'The muscle that contracts when you inhale deeply is "the', "answer": "diaphragm"},
    {"prompt": "The capital of Texas is", "answer": "Austin"},
    {"prompt": "Dallas is a city in the state of", "answer": "Texas"},
]


def state_of(city: str) -> str:
    for state, capital, others in STATES:
        if city == capital or city in others:
            return state
    raise KeyError(city)


def capital_of(state: str) -> str:
    for name, capital, _ in STATES:
        if name == state:
            return capital
    raise KeyError(state)


def cities_of(state: str) -> list[str]:
    for name, capital, others in STATES:
        if name == state:
            return [capital, *others]
    raise KeyError(state)
