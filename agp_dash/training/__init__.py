"""Offline training of the local engine (``agp engine train``; needs the 'train' extra).

Never imported by the runtime. ``world`` and ``corpus`` are pure Python (tests rebuild the
corpus without torch); ``lm``, ``transcoders`` and ``pipeline`` import torch.
"""
