"""The programs, each run as ``python -m bahdanau.cli.NAME``:

- ``train``: train a preset (``--preset rnnsearch``) and record its metadata
- ``evaluate``: BLEU of a checkpoint on the test split, and paired comparisons
- ``bench``: the speed of the package's attention, training step and greedy decoding
- ``export_web``: the shipped models as files for the browser port

They import the core and the book's helpers; nothing imports them but tests and notebooks.
"""
