"""Test doubles for remote services (never used by the app at runtime).

``FakeNeuronpedia`` (:mod:`tests.fakes.neuronpedia_server`) is a threaded HTTP server on
127.0.0.1 that follows the Neuronpedia contract of spec §1 and the checklist of spec §4.
"""
