"""Measurement tools: the question banks and how replies are scored (banks), make eval,
the blind scoring, the safety report and the retrieval calibration. They import nothing from tests/."""
