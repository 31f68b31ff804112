"""The demo world's rules, the corpus/vocabulary round trip and the tokenizer (spec §2, §2.5, §2.7.7)."""
from __future__ import annotations

import collections
import json

import pytest

from agp_dash.engine import PromptTooLongError, UnknownWordsError
from agp_dash.engine.tokenizer import split_words
from agp_dash.errors import InputError
from agp_dash.training import world as W
from agp_dash.training.corpus import build_corpus


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


def test_world_names_are_unique_single_tokens():
    names = [s for s, _, _ in W.STATES] + [c for _, cap, others in W.STATES for c in (cap, *others)]
    assert len(names) == len(set(names)) == 200
    assert all(" " not in n and n for n in names)
    assert len(W.HELD_OUT_CITIES) == 40 and not set(W.HELD_OUT_CITIES) & set(W.SHOWCASE_CITIES)
    capitals = {cap for _, cap, _ in W.STATES}
    assert not set(W.HELD_OUT_CITIES) & capitals
    # one held-out city per state
    assert collections.Counter(W.state_of(c) for c in W.HELD_OUT_CITIES) == collections.Counter(
        {s: 1 for s, _, _ in W.STATES})
    antonyms = [w for pair in W.ANTONYMS_EN for w in pair]
    assert len(antonyms) == len(set(antonyms)), "every English word has exactly one antonym"
    french = [w for a, b, _, _ in W.ANTONYMS_FR for w in (a, b)]
    assert len(french) == len(set(french))


def test_rebuilt_corpus_reproduces_the_shipped_vocabulary(corpus, engine):
    assert corpus.vocab == engine.vocab
    assert engine.manifest["training"]["corpus_sha256"] == corpus.digest()


def test_corpus_sentences_are_already_normalised(corpus, engine):
    tok = engine.tokenizer
    for sentence in corpus.facts[::7] + corpus.filler[::50] + corpus.held_out:
        assert tok.normalize(sentence) == sentence.split()


def test_no_evaluation_prompt_is_ambiguous_in_training_text(corpus):
    following = collections.defaultdict(set)
    for sentence in corpus.facts + corpus.filler:
        words = sentence.split()
        for i in range(1, len(words)):
            following[" ".join(words[:i])].add(words[i])
    for fact in corpus.trained_facts:
        assert following[fact.prompt] == {fact.answer}, fact


def test_held_out_two_hop_is_never_trained(corpus):
    held = set(W.HELD_OUT_CITIES)
    trained_two_hop = [s for s in corpus.facts if "containing" in s and "capital" in s]
    assert not any(set(s.split()) & held for s in trained_two_hop)
    assert all(f.relation == "two_hop" for f in corpus.held_out_facts)


def test_world_json_holds_the_facts(engine, corpus):
    world = engine.world
    assert world["model_id"] == engine.model_id
    assert len(world["states"]) == 40 and world["held_out_cities"] == W.HELD_OUT_CITIES
    assert len(world["facts"]) == len(corpus.eval_facts)
    assert world["concept_templates"]["city"][0] == {
        "category": "entity", "description": "A city in {state} , USA", "label": "{city}"}
    json.dumps(world)  # plain JSON


def test_example_prompts_and_probe_prompts_are_in_vocabulary(engine):
    for prompt in engine.example_prompts + ["entity: A city in Texas, USA is Dallas",
                                            "relationship: the state in which a city is located is the state containing",
                                            "attribute: The primary city serving as the seat of government for a state is the capital city"]:
        engine.tokenize(prompt)


def test_normalisation_splits_punctuation_and_joins_names(engine):
    tok = engine.tokenizer
    assert split_words('entity: A city in Texas, USA') == ["entity", ":", "A", "city", "in", "Texas", ",", "USA"]
    assert tok.normalize("Fact: Michael Jordan plays") == ["Fact", ":", "Michael_Jordan", "plays"]
    assert tok.normalize("Salt Lake City , Utah") == ["Salt_Lake_City", ",", "Utah"]
    enc = tok.encode('The opposite of "small" is "')
    assert enc.words == ("<bos>", "The", "opposite", "of", '"', "small", '"', "is", '"')
    assert enc.display_tokens[:3] == ["<bos>", "The", " opposite"]
    assert tok.encode("<bos>The capital of Texas is").ids == tok.encode("The capital of Texas is").ids


def test_unknown_words_are_listed_with_positions_and_suggestions(engine):
    with pytest.raises(UnknownWordsError) as info:
        engine.tokenize("The capital of state containing Dalas is Foo")
    err = info.value
    assert isinstance(err, InputError)
    assert [(w, p) for w, p, _ in err.unknown] == [("Dalas", 6), ("Foo", 8)]
    assert "Dallas" in err.unknown[0][2]
    message = str(err)
    assert "'Dalas' at position 6 (did you mean 'Dallas'" in message and "'Foo' at position 8" in message
    assert message.count(".") <= 2 and "\n" not in message  # one sentence


def test_case_matters_and_is_suggested(engine):
    with pytest.raises(UnknownWordsError) as info:
        engine.tokenize("the capital of texas is")
    assert info.value.unknown[0][:2] == ("texas", 4) and info.value.unknown[0][2][0] == "Texas"


def test_special_tokens_are_never_accepted_as_words(engine):
    with pytest.raises(UnknownWordsError):
        engine.tokenize("The capital of <unk> is")


def test_too_long_and_empty_prompts(engine):
    with pytest.raises(PromptTooLongError, match="at most 32"):
        engine.tokenize(" ".join(["Texas"] * 40))
    with pytest.raises(InputError, match="empty"):
        engine.tokenize("   ")
