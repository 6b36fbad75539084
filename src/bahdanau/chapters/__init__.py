"""The book's helpers: what the chapters draw and run beside the model core.

- ``plotting``: attention heatmaps, loss curves, BLEU by sentence length
- ``diagrams``: the encoder–decoder and decoder-step figures
- ``interactive``: the notebook widgets (step through the decoder, translate your own)
- ``probing``: chapter 1's experiment (what the fixed context keeps of each word)

They import the core (``bahdanau.data``, ``bahdanau.decoding``, ...), never the programs.
"""
